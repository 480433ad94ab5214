package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class TrainerTest {

    private static int threadsBefore;
    private static Dataset digits;

    @BeforeAll
    static void setUp() {
        threadsBefore = NativeThreads.blasThreads();
        NativeThreads.set(1);
        digits = Datasets.digits();
    }

    @AfterAll
    static void restoreThreads() {
        NativeThreads.set(Math.max(1, threadsBefore));
    }

    /** Three epochs of the defaults on all of digits: enough to exercise every part, quick. */
    private static TrainingConfig quick() {
        return TrainingConfig.defaults().withEpochs(3);
    }

    private static TrainingResult train(Dataset data, TrainingConfig config) {
        return new Trainer().train(data, config, TrainingListener.NONE, () -> false);
    }

    private static List<double[]> weights(Network network) {
        List<double[]> all = new ArrayList<>();
        for (Layer layer : network.layers()) {
            all.add(Loss.toDoubles(layer.weights()));
            all.add(Loss.toDoubles(layer.bias()));
        }
        return all;
    }

    private static void assertBitIdentical(TrainingResult a, TrainingResult b) {
        List<double[]> wa = weights(a.network());
        List<double[]> wb = weights(b.network());
        for (int i = 0; i < wa.size(); i++) {
            assertArrayEquals(wa.get(i), wb.get(i), 0.0, "parameter array " + i);
        }
        assertEquals(a.history(), b.history());
        assertEquals(a.network().standardization(), b.network().standardization());
    }

    /**
     * The tested bound on weights trained with other BLAS thread counts (or on another CPU): relative to
     * max(1, largest |weight|), after the three epochs of {@link #quick()}. Rounding differences grow with
     * every step, so the bound is for this run length, not a property of any training run.
     */
    static final double TRAINING_BOUND = 1e-5;

    @Test
    void sameSeedGivesBitIdenticalWeightsAtOneThreadCountAndWeightsWithinRoundingAcrossThreadCounts() {
        try {
            NativeThreads.set(1);
            TrainingResult oneThread = train(digits, quick());
            assertBitIdentical(oneThread, train(digits, quick()));
            NativeThreads.set(2);
            TrainingResult twoThreads = train(digits, quick());
            assertBitIdentical(twoThreads, train(digits, quick()));
            NativeThreads.set(4);
            TrainingResult fourThreads = train(digits, quick());
            // BLAS splits a product by its thread count and may sum in another order: rounding, not bits.
            double worst = Math.max(worstRelativeDifference(oneThread, twoThreads),
                    worstRelativeDifference(oneThread, fourThreads));
            System.out.println("TrainerTest: worst weight difference across thread counts = " + worst);
            assertThat(worst).isLessThanOrEqualTo(TRAINING_BOUND);
            assertEquals(oneThread.history().loss().size(), fourThreads.history().loss().size());
        } finally {
            NativeThreads.set(1);
        }
    }

    private static double worstRelativeDifference(TrainingResult a, TrainingResult b) {
        List<double[]> wa = weights(a.network());
        List<double[]> wb = weights(b.network());
        double largest = 1.0;
        double worst = 0.0;
        for (int i = 0; i < wa.size(); i++) {
            for (int k = 0; k < wa.get(i).length; k++) {
                largest = Math.max(largest, Math.abs(wa.get(i)[k]));
                worst = Math.max(worst, Math.abs(wa.get(i)[k] - wb.get(i)[k]));
            }
        }
        return worst / largest;
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsInDoubleAndWithSgdToo() {
        TrainingConfig d = quick().withDataType(DataType.DOUBLE).withEpochs(2);
        assertBitIdentical(train(digits, d), train(digits, d));
        TrainingConfig base = quick();
        TrainingConfig sgd = new TrainingConfig(base.hiddenLayers(), base.dropout(), 0.1, 2, base.batchSize(), 0.05,
                Optimizer.SGD, 0.9, base.l2(), base.validationFraction(), base.earlyStoppingPatience(), 5, true,
                DataType.FLOAT);
        assertBitIdentical(train(digits, sgd), train(digits, sgd));
    }

    @Test
    void differentSeedsGiveDifferentWeights() {
        List<double[]> a = weights(train(digits, quick().withEpochs(1)).network());
        List<double[]> b = weights(train(digits, quick().withEpochs(1).withSeed(2)).network());
        assertThat(a.get(0)).isNotEqualTo(b.get(0));
    }

    @Test
    void sgdWithMomentumLearnsDigitsToo() {
        TrainingConfig base = quick();
        TrainingConfig sgd = new TrainingConfig(base.hiddenLayers(), base.dropout(), 0.0, 5, 32, 0.02,
                Optimizer.SGD, 0.9, base.l2(), 0.2, 0, 1, true, DataType.FLOAT);
        TrainingResult result = train(digits, sgd);
        assertThat(result.validationAccuracy()).isGreaterThan(0.9);
        assertThat(result.history().loss().get(4)).isLessThan(result.history().loss().get(0));
    }

    @Test
    void cancellationFromAnotherThreadStopsTrainingBeforeTheNextMiniBatch() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        CountDownLatch secondEpochDone = new CountDownLatch(1);
        CountDownLatch flagRaised = new CountDownLatch(1);
        List<Integer> epochsHeard = Collections.synchronizedList(new ArrayList<>());
        TrainingListener listener = (epoch, epochs, history) -> {
            epochsHeard.add(epoch);
            if (epoch == 2) {
                secondEpochDone.countDown();
                try {
                    flagRaised.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<TrainingResult> job = pool.submit(() ->
                    new Trainer().train(digits, TrainingConfig.defaults().withEpochs(50), listener, cancelled::get));
            assertThat(secondEpochDone.await(60, TimeUnit.SECONDS)).isTrue();
            cancelled.set(true);
            flagRaised.countDown();
            assertThatThrownBy(() -> job.get(60, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TrainingCancelledException.class)
                    .hasMessageContaining("epoch 3");
            assertThat(epochsHeard).containsExactly(1, 2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancellationIsPolledBeforeEveryMiniBatch() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> new Trainer().train(digits, quick(), TrainingListener.NONE,
                () -> polls.incrementAndGet() == 7))
                .isInstanceOf(TrainingCancelledException.class).hasMessageContaining("epoch 1");
        assertThat(polls).hasValue(7);
    }

    @Test
    void earlyStoppingRestoresTheWeightsOfTheEpochWithTheLowestValidationLoss() {
        // Noisy labels, no dropout and a high learning rate: the validation loss soon rises.
        SplittableRandom random = new SplittableRandom(3);
        double[][] rows = new double[400][];
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            rows[i] = digits.row(i);
            int label = random.nextDouble() < 0.3 ? random.nextInt(10) : digits.label(i);
            labels.add(digits.classes().get(label));
        }
        Dataset noisy = Dataset.of(rows, labels);
        TrainingConfig config = new TrainingConfig(List.of(256), List.of(0.0), 0.0, 300, 16, 1e-2, Optimizer.ADAM,
                0.9, 0.0, 0.25, 4, 11, true, DataType.FLOAT);
        TrainingResult result = train(noisy, config);

        List<Double> validationLoss = result.history().validationLoss();
        int best = result.bestEpoch();
        assertThat(validationLoss).hasSizeLessThan(300).hasSize(best + 4);
        assertThat(result.validationLoss()).isEqualTo(validationLoss.get(best - 1))
                .isEqualTo(Collections.min(validationLoss));
        assertThat(validationLoss.get(validationLoss.size() - 1)).isGreaterThan(result.validationLoss());
        double[] measured = Trainer.evaluate(result.network(), Trainer.split(noisy, config).heldOut());
        assertThat(measured[0]).isEqualTo(result.validationLoss());
        assertThat(measured[1]).isEqualTo(result.validationAccuracy())
                .isEqualTo(result.history().validationAccuracy().get(best - 1));
    }

    @Test
    void withoutEarlyStoppingTheLastEpochsWeightsAreReturned() {
        TrainingConfig config = quick().withEarlyStopping(0.2, 0);
        TrainingResult result = train(digits, config);
        assertThat(result.bestEpoch()).isEqualTo(3);
        assertThat(result.history().validationLoss()).hasSize(3);
        double[] measured = Trainer.evaluate(result.network(), Trainer.split(digits, config).heldOut());
        assertThat(measured[0]).isEqualTo(result.history().validationLoss().get(2)).isEqualTo(result.validationLoss());
    }

    @Test
    void standardisationIsFittedOnTheTrainingSplitOnly() {
        TrainingConfig config = quick().withEpochs(1);
        Standardization used = train(digits, config).network().standardization();
        Dataset.Split split = Trainer.split(digits, config);
        assertThat(split.heldOut().size()).isEqualTo(Math.round(0.2 * digits.size()));
        assertThat(used).isEqualTo(Standardization.fit(split.train().rows()));
        assertThat(used).isNotEqualTo(Standardization.fit(digits.rows()));
        // The first pixel is 0 in every image: a constant feature keeps scale 1.
        assertThat(used.mean()[0]).isZero();
        assertThat(used.std()[0]).isEqualTo(1.0);
    }

    @Test
    void withoutStandardisationTheNetworkTakesRawFeatures() {
        TrainingConfig base = quick().withEpochs(1);
        TrainingConfig raw = new TrainingConfig(base.hiddenLayers(), base.dropout(), 0, 1, 64, 1e-3, Optimizer.ADAM,
                0.9, 0, 0.2, 5, 1, false, DataType.FLOAT);
        assertThat(train(digits, raw).network().standardization().isIdentity()).isTrue();
    }

    @Test
    void withoutAValidationSplitEveryRowTrainsAndValidationFiguresAreNaN() {
        TrainingResult result = train(digits, quick().withEarlyStopping(0.0, 10));
        assertThat(result.history().validationLoss()).isEmpty();
        assertThat(result.history().validationAccuracy()).isEmpty();
        assertThat(result.history().loss()).hasSize(3);
        assertThat(result.bestEpoch()).isEqualTo(3);
        assertThat(result.validationLoss()).isNaN();
        assertThat(result.network().standardization()).isEqualTo(Standardization.fit(digits.rows()));
    }

    @Test
    void progressIsReportedAfterEveryEpochWithTheHistorySoFar() {
        List<String> heard = new ArrayList<>();
        new Trainer().train(digits, quick(), (epoch, epochs, history) ->
                heard.add(epoch + "/" + epochs + ":" + history.loss().size() + "," + history.validationAccuracy().size()),
                () -> false);
        assertThat(heard).containsExactly("1/3:1,1", "2/3:2,2", "3/3:3,3");
    }

    @Test
    void theTrainedNetworkHasTheConfiguredShapeAndClasses() {
        TrainingConfig base = quick().withEpochs(1).withHiddenLayers(List.of(16, 12), 0.25);
        Network network = train(digits, base).network();
        assertThat(network.spec()).isEqualTo(new NetworkSpec(64, List.of(16, 12), 10, 0.0, List.of(0.25, 0.25)));
        assertThat(network.classes()).isEqualTo(digits.classes());
        assertThat(network.dataType()).isEqualTo(DataType.FLOAT);
    }

    @Test
    void aLearningRateFarTooHighIsReportedAsDivergence() {
        TrainingConfig config = new TrainingConfig(List.of(64), List.of(0.0), 0, 30, 64, 1e12, Optimizer.SGD, 0.9, 0,
                0.2, 0, 1, true, DataType.FLOAT);
        assertThatThrownBy(() -> train(digits, config)).isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("learningRate");
    }

    @Test
    void anEmptyDataSetIsRejected() {
        Dataset empty = new Dataset(new double[0][], new int[0], List.of("a", "b"));
        assertThatThrownBy(() -> train(empty, quick())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no rows");
    }
}
