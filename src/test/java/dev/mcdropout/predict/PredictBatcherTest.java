package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.nn.Datasets;
import dev.mcdropout.nn.InputOutOfRangeException;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.PredictionStoppedException;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.nn.Standardization;
import dev.mcdropout.nn.Uncertainty;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The batcher with the real engine on digits rows: predictions admitted together run as one engine call and each
 * gets the answer it gets alone (to the engine's rounding bound); a prediction stopped in a batch (deadline,
 * disconnect) or failing in it (a value out of range) affects nobody else. The batches are made deterministic
 * by a long window that ends once every admitted prediction has arrived.
 */
class PredictBatcherTest {

    /** docs/api.md, "Reproducibility": a row alone or among others, for a float32 model. */
    private static final double BOUND = 1e-5;

    /** Enough passes that the batch is still computing when a test raises a stop signal. */
    private static final int SAMPLES = 10_000;

    private static final List<double[]> DIGITS = List.of(Datasets.digits().features());

    private final Network network = Network.initialize(NetworkSpec.of(64, List.of(128, 64), 10, 0.5),
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Standardization.identity(64), DataType.FLOAT, 3L);
    private final MonteCarloPredictor predictor = new MonteCarloPredictor(2);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger admitted = new AtomicInteger();
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws Exception {
        clients.shutdownNow();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        predictor.close();
    }

    private PredictBatcher batcher(Duration window) {
        // alone 0: every batch waits for the predictions admitted, so the tests decide the batches.
        return new PredictBatcher(predictor, new PredictBatchProperties(true, window, 64, 100_000_000), meters,
                admitted::get, admitted::get, 0);
    }

    @Test
    void fourPredictionsAdmittedTogetherRunAsOneEngineCallAndEachGetsItsAnswerAlone() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(4);
        List<RowMatrix> rows = List.of(rows(0, 1), rows(1, 3), rows(4, 1), rows(0, 1));
        long[] seeds = {7L, 8L, -9L, 7L << 50};
        List<Future<List<Uncertainty>>> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int r = i;
            answers.add(clients.submit(() -> batcher.predict(network, rows.get(r), 200, seeds[r], true,
                    MonteCarloPredictor.NEVER)));
        }
        for (int i = 0; i < 4; i++) {
            assertAgree(predictor.predict(network, rows.get(i), 200, seeds[i], true, MonteCarloPredictor.NEVER),
                    answers.get(i).get(60, TimeUnit.SECONDS));
        }
        assertThat(meters.get("mcdropout.predict.batch.size").summary().count()).as("engine calls").isEqualTo(1);
        assertThat(meters.get("mcdropout.predict.batch.size").summary().max()).isEqualTo(4);
        assertThat(meters.get("mcdropout.predict.queue.time").timer().count()).isEqualTo(4);
    }

    @Test
    void predictionsForOtherSamplesOrOtherFieldsAreNotMixedAndOneAloneIsExactlyTheCallWithoutBatching()
            throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(50));
        admitted.set(3);
        Future<List<Uncertainty>> a = clients.submit(() -> batcher.predict(network, rows(0, 2), 100, 1L, false,
                MonteCarloPredictor.NEVER));
        Future<List<Uncertainty>> b = clients.submit(() -> batcher.predict(network, rows(0, 2), 101, 1L, false,
                MonteCarloPredictor.NEVER));
        Future<List<Uncertainty>> c = clients.submit(() -> batcher.predict(network, rows(0, 2), 100, 1L, true,
                MonteCarloPredictor.NEVER));
        // Each ran alone, so bit for bit the engine's own answer.
        assertIdentical(predictor.predict(network, rows(0, 2), 100, 1L, false, MonteCarloPredictor.NEVER),
                a.get(60, TimeUnit.SECONDS));
        assertIdentical(predictor.predict(network, rows(0, 2), 101, 1L, false, MonteCarloPredictor.NEVER),
                b.get(60, TimeUnit.SECONDS));
        assertIdentical(predictor.predict(network, rows(0, 2), 100, 1L, true, MonteCarloPredictor.NEVER),
                c.get(60, TimeUnit.SECONDS));
        assertThat(meters.get("mcdropout.predict.batch.size").summary().count()).isEqualTo(3);
        assertThat(meters.get("mcdropout.predict.batch.size").summary().max()).isEqualTo(1);
    }

    @Test
    void aPredictionWaitsNoLongerThanTheWindowWhenNothingElseArrives() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        // Another prediction is admitted but never reaches the engine: the first waits out the window, then goes.
        admitted.set(2);
        List<Uncertainty> answer = clients.submit(() -> batcher.predict(network, rows(3, 1), 20, 5L, false,
                MonteCarloPredictor.NEVER)).get(60, TimeUnit.SECONDS);
        assertIdentical(predictor.predict(network, rows(3, 1), 20, 5L, false, MonteCarloPredictor.NEVER), answer);
        assertThat(meters.get("mcdropout.predict.queue.time").timer().max(TimeUnit.MILLISECONDS))
                .as("it waited the window").isGreaterThanOrEqualTo(100.0);
    }

    @Test
    void withNoMoreRequestsInFlightThanEngineThreadsNoneWaitsForAnother() throws Exception {
        // A window far longer than the test: only the rule "a core of its own: run at once" ends the wait.
        AtomicInteger inFlight = new AtomicInteger(predictor.threads());
        PredictBatcher batcher = new PredictBatcher(predictor, new PredictBatchProperties(true, Duration.ofSeconds(300),
                64, 100_000_000), meters, admitted::get, inFlight::get, predictor.threads());
        admitted.set(predictor.threads());
        List<Uncertainty> answer = clients.submit(() -> batcher.predict(network, rows(3, 1), 20, 5L, false,
                MonteCarloPredictor.NEVER)).get(120, TimeUnit.SECONDS);
        assertIdentical(predictor.predict(network, rows(3, 1), 20, 5L, false, MonteCarloPredictor.NEVER), answer);
        assertThat(meters.get("mcdropout.predict.queue.time").timer().max(TimeUnit.SECONDS))
                .as("it did not wait out the window").isLessThan(120.0);

        // One more request in flight than threads: it waits for the others again (the whole window, as none comes).
        SimpleMeterRegistry waitingMeters = new SimpleMeterRegistry();
        PredictBatcher waiting = new PredictBatcher(predictor, new PredictBatchProperties(true, Duration.ofMillis(200),
                64, 100_000_000), waitingMeters, admitted::get, inFlight::get, predictor.threads());
        inFlight.set(predictor.threads() + 1);
        assertIdentical(predictor.predict(network, rows(4, 1), 20, 5L, false, MonteCarloPredictor.NEVER),
                clients.submit(() -> waiting.predict(network, rows(4, 1), 20, 5L, false, MonteCarloPredictor.NEVER))
                        .get(120, TimeUnit.SECONDS));
        assertThat(waitingMeters.get("mcdropout.predict.queue.time").timer().max(TimeUnit.MILLISECONDS))
                .as("it waited the window").isGreaterThanOrEqualTo(200.0);
    }

    @Test
    void aFollowerStoppedWhileItsBatchComputesGetsStoppedAndTheOthersTheirAnswers() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(3);
        AtomicBoolean deadlinePassed = new AtomicBoolean();
        Future<List<Uncertainty>> leader = clients.submit(() -> batcher.predict(network, rows(10, 2), SAMPLES, 1L,
                false, MonteCarloPredictor.NEVER));
        awaitInside(batcher, 1);
        Future<List<Uncertainty>> stopped = clients.submit(() -> batcher.predict(network, rows(20, 1), SAMPLES, 2L,
                false, deadlinePassed::get));
        Future<List<Uncertainty>> other = clients.submit(() -> batcher.predict(network, rows(30, 1), SAMPLES, 3L,
                false, MonteCarloPredictor.NEVER));
        awaitBatchStarted(3);
        deadlinePassed.set(true);

        assertStopped(stopped);
        assertAgree(predictor.predict(network, rows(10, 2), SAMPLES, 1L, false, MonteCarloPredictor.NEVER),
                leader.get(120, TimeUnit.SECONDS));
        assertAgree(predictor.predict(network, rows(30, 1), SAMPLES, 3L, false, MonteCarloPredictor.NEVER),
                other.get(120, TimeUnit.SECONDS));
        assertThat(meters.get("mcdropout.predict.batch.size").summary().max()).as("they were one batch").isEqualTo(3);
    }

    @Test
    void aPredictionCancelledBeforeItsBatchStartsIsLeftOutAndTheOthersGetTheirAnswers() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(3);
        Future<List<Uncertainty>> leader = clients.submit(() -> batcher.predict(network, rows(10, 2), 100, 1L,
                false, MonteCarloPredictor.NEVER));
        awaitInside(batcher, 1);
        Future<List<Uncertainty>> cancelled = clients.submit(() -> batcher.predict(network, rows(40, 1), 100, 4L,
                false, () -> true));
        Future<List<Uncertainty>> other = clients.submit(() -> batcher.predict(network, rows(30, 1), 100, 3L, false,
                MonteCarloPredictor.NEVER));

        assertStopped(cancelled);
        assertAgree(predictor.predict(network, rows(10, 2), 100, 1L, false, MonteCarloPredictor.NEVER),
                leader.get(120, TimeUnit.SECONDS));
        assertAgree(predictor.predict(network, rows(30, 1), 100, 3L, false, MonteCarloPredictor.NEVER),
                other.get(120, TimeUnit.SECONDS));
    }

    @Test
    void aLeaderStoppedWhileItComputesForTheOthersGetsStoppedAndTheOthersTheirAnswers() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(3);
        AtomicBoolean clientGone = new AtomicBoolean();
        Future<List<Uncertainty>> leader = clients.submit(() -> batcher.predict(network, rows(50, 1), SAMPLES, 1L,
                false, clientGone::get));
        awaitInside(batcher, 1);
        Future<List<Uncertainty>> a = clients.submit(() -> batcher.predict(network, rows(60, 3), SAMPLES, 2L, false,
                MonteCarloPredictor.NEVER));
        Future<List<Uncertainty>> b = clients.submit(() -> batcher.predict(network, rows(70, 1), SAMPLES, 3L, false,
                MonteCarloPredictor.NEVER));
        awaitBatchStarted(3);
        clientGone.set(true);

        assertStopped(leader);
        assertAgree(predictor.predict(network, rows(60, 3), SAMPLES, 2L, false, MonteCarloPredictor.NEVER),
                a.get(120, TimeUnit.SECONDS));
        assertAgree(predictor.predict(network, rows(70, 1), SAMPLES, 3L, false, MonteCarloPredictor.NEVER),
                b.get(120, TimeUnit.SECONDS));
        assertThat(meters.get("mcdropout.predict.batch.size").summary().max()).as("they were one batch").isEqualTo(3);
    }

    @Test
    void whenEveryPredictionOfABatchIsStoppedTheEngineStopsAndEachIsToldSo() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(2);
        AtomicBoolean gone = new AtomicBoolean();
        Future<List<Uncertainty>> a = clients.submit(() -> batcher.predict(network, rows(0, 20), SAMPLES, 1L, false,
                gone::get));
        awaitInside(batcher, 1);
        Future<List<Uncertainty>> b = clients.submit(() -> batcher.predict(network, rows(50, 20), SAMPLES, 2L, false,
                gone::get));
        awaitBatchStarted(2);
        gone.set(true);
        assertStopped(a);
        assertStopped(b);
    }

    @Test
    void aRowTheModelCannotComputeWithFailsOnlyItsOwnPredictionWithItsOwnRowNumber() throws Exception {
        PredictBatcher batcher = batcher(Duration.ofMillis(100));
        admitted.set(3);
        double[] values = rows(5, 3).values().clone();
        values[2 * 64 + 7] = 1e300; // float32 overflows: the third row of this request, feature 7
        RowMatrix bad = new RowMatrix(values, 3, 64);
        Future<List<Uncertainty>> first = clients.submit(() -> batcher.predict(network, rows(80, 2), 100, 1L, false,
                MonteCarloPredictor.NEVER));
        awaitInside(batcher, 1);
        Future<List<Uncertainty>> failing = clients.submit(() -> batcher.predict(network, bad, 100, 2L, false,
                MonteCarloPredictor.NEVER));
        Future<List<Uncertainty>> last = clients.submit(() -> batcher.predict(network, rows(90, 1), 100, 3L, false,
                MonteCarloPredictor.NEVER));

        assertThatThrownBy(() -> failing.get(60, TimeUnit.SECONDS)).cause()
                .isInstanceOf(InputOutOfRangeException.class)
                .satisfies(e -> {
                    assertThat(((InputOutOfRangeException) e).row()).isEqualTo(2);
                    assertThat(((InputOutOfRangeException) e).feature()).isEqualTo(7);
                });
        assertAgree(predictor.predict(network, rows(80, 2), 100, 1L, false, MonteCarloPredictor.NEVER),
                first.get(60, TimeUnit.SECONDS));
        assertAgree(predictor.predict(network, rows(90, 1), 100, 3L, false, MonteCarloPredictor.NEVER),
                last.get(60, TimeUnit.SECONDS));
        assertThat(meters.get("mcdropout.predict.batch.size").summary().max()).as("they were one batch").isEqualTo(3);
    }

    @Test
    void switchedOffEveryPredictionRunsAloneAtOnce() throws Exception {
        PredictBatcher off = new PredictBatcher(predictor, new PredictBatchProperties(false, Duration.ofMillis(100),
                64, 1_000_000), meters, admitted::get, admitted::get, 0);
        admitted.set(2);
        assertIdentical(predictor.predict(network, rows(0, 1), 30, 1L, false, MonteCarloPredictor.NEVER),
                off.predict(network, rows(0, 1), 30, 1L, false, MonteCarloPredictor.NEVER));
        assertThat(meters.get("mcdropout.predict.queue.time").timer().max(TimeUnit.NANOSECONDS)).isZero();
    }

    private static RowMatrix rows(int from, int n) {
        double[] values = new double[n * 64];
        for (int i = 0; i < n; i++) {
            System.arraycopy(DIGITS.get(from + i), 0, values, i * 64, 64);
        }
        return new RowMatrix(values, n, 64);
    }

    /** Waits until an engine call over {@code n} predictions has started (their queue times are recorded then). */
    private void awaitBatchStarted(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (meters.get("mcdropout.predict.queue.time").timer().count() < n) {
            assertThat(System.nanoTime()).as("a batch of %d started", n).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static void awaitInside(PredictBatcher batcher, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (batcher.inside() < n) {
            assertThat(System.nanoTime()).as("%d predictions reached the batcher", n).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static void assertStopped(Future<List<Uncertainty>> answer) {
        assertThatThrownBy(() -> answer.get(120, TimeUnit.SECONDS)).cause()
                .isInstanceOf(PredictionStoppedException.class);
    }

    private static void assertAgree(List<Uncertainty> alone, List<Uncertainty> batched) {
        assertThat(batched).hasSameSizeAs(alone);
        for (int r = 0; r < alone.size(); r++) {
            Uncertainty e = alone.get(r);
            Uncertainty a = batched.get(r);
            assertThat(a.predictedClass()).isEqualTo(e.predictedClass());
            for (int c = 0; c < e.mean().length; c++) {
                assertThat(a.mean()[c]).isCloseTo(e.mean()[c], within(BOUND));
                assertThat(a.std()[c]).isCloseTo(e.std()[c], within(BOUND));
                if (e.scoresMean() != null) {
                    assertThat(a.scoresMean()[c]).isCloseTo(e.scoresMean()[c],
                            within(BOUND * Math.max(1, Math.abs(e.scoresMean()[c]))));
                }
            }
            assertThat(a.predictiveEntropy()).isCloseTo(e.predictiveEntropy(), within(BOUND));
            assertThat(a.mutualInformation()).isCloseTo(e.mutualInformation(), within(BOUND));
            assertThat(a.variationRatio()).isCloseTo(e.variationRatio(), within(BOUND));
        }
    }

    private static void assertIdentical(List<Uncertainty> expected, List<Uncertainty> actual) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int r = 0; r < expected.size(); r++) {
            assertThat(actual.get(r).mean()).containsExactly(expected.get(r).mean());
            assertThat(actual.get(r).std()).containsExactly(expected.get(r).std());
            assertThat(actual.get(r).mutualInformation()).isEqualTo(expected.get(r).mutualInformation());
        }
    }
}
