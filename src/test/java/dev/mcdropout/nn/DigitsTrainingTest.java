package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The default hyperparameters on the bundled digits data: trained once on a stratified 80% (seed 42), judged
 * on the other 20%, which training never sees (its validation split is carved out of the 80%).
 */
class DigitsTrainingTest {

    private static int threadsBefore;
    private static Dataset.Split split;
    private static TrainingResult result;
    private static double seconds;

    @BeforeAll
    static void trainOnce() {
        threadsBefore = NativeThreads.blasThreads();
        NativeThreads.set(1);
        split = Datasets.digits().stratifiedSplit(0.2, 42);
        long start = System.nanoTime();
        result = new Trainer().train(split.train(), TrainingConfig.defaults(), TrainingListener.NONE, () -> false);
        seconds = (System.nanoTime() - start) / 1e9;
    }

    @AfterAll
    static void restoreThreads() {
        NativeThreads.set(Math.max(1, threadsBefore));
    }

    @Test
    void defaultsReachAtLeast97PercentHeldOutAccuracyInTestMode() {
        double accuracy = Trainer.evaluate(result.network(), split.heldOut())[1];
        System.out.printf("digits, default hyperparameters: held-out accuracy %.4f in test mode (%d rows), "
                        + "%d epochs (best %d), trained in %.2f s on 1 native thread%n", accuracy,
                split.heldOut().size(), result.history().loss().size(), result.bestEpoch(), seconds);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void defaultsReachAtLeast97PercentHeldOutAccuracyWithOneHundredMonteCarloSamples() {
        Network network = result.network();
        INDArray raw = network.toMatrix(split.heldOut().features());
        List<Uncertainty> predictions;
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            predictions = predictor.predict(network, raw, 100, 7L, false);
        }
        int correct = 0;
        for (int i = 0; i < predictions.size(); i++) {
            if (predictions.get(i).predictedClass() == split.heldOut().label(i)) {
                correct++;
            }
        }
        double accuracy = (double) correct / predictions.size();
        System.out.printf("digits, default hyperparameters: held-out accuracy %.4f with 100 Monte Carlo samples%n",
                accuracy);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void earlyStoppingEndsTheRunWellInsideTheEpochBudget() {
        assertThat(result.history().loss()).hasSizeLessThan(TrainingConfig.defaults().epochs());
        assertThat(result.history().loss()).hasSize(result.bestEpoch() + TrainingConfig.defaults().earlyStoppingPatience());
        assertThat(result.validationAccuracy()).isGreaterThan(0.95);
    }
}
