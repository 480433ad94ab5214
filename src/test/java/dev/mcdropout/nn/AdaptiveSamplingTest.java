package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adaptive Monte Carlo ({@link MonteCarloPredictor#predictAdaptive}): rows stop when the standard error of each
 * mean class probability is below the tolerance, within [minSamples, maxSamples]; a row's answer is the fixed
 * answer of its own sample count, whatever rows share its rounds; the same seed gives the same stopping points.
 */
class AdaptiveSamplingTest {

    private static final long SEED = 11L;

    @Test
    void onPassesWithAKnownTwoPointDistributionEachRowStopsAtTheFirstCheckWhoseStandardErrorIsBelowTolerance() {
        // One input, two classes, scores (2x, -2x) when the input is kept (inverted dropout, p = 0.5) and (0, 0)
        // when dropped: a row's class-0 probability is sigmoid(4x) or 1/2, a two-point distribution whose spread
        // grows with |x|. The mask source drops the input in sample s with probability 0.3, from s alone, so the
        // test can write down every pass and the standard error at every check without the engine.
        Network network = new Network(List.of(new Layer(Nd4j.create(new double[][] {{1.0, -1.0}}),
                Nd4j.create(new double[] {0.0, 0.0}, new long[] {1, 2}, DataType.DOUBLE), Activation.LINEAR, 0.0)),
                0.5, Standardization.identity(1), List.of("a", "b"));
        MaskSource masks = (dropped, offset, units, sample, site, row, rowKey, p) ->
                dropped[offset] = dropsInput(sample) ? 1L : 0L;
        double[] xs = {0.02, 0.1, 0.2, 0.35, 0.6, 1.5};
        AdaptiveSampling plan = new AdaptiveSampling(0.02, 10, 80);
        double[][] raw = new double[xs.length][];
        for (int r = 0; r < xs.length; r++) {
            raw[r] = new double[] {xs[r]};
        }

        List<AdaptiveUncertainty> answers;
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            answers = predictor.predictAdaptive(network, RowMatrix.of(raw, 1), plan, masks, null, false,
                    MonteCarloPredictor.NEVER);
        }

        TreeSet<Integer> stoppingPoints = new TreeSet<>();
        for (int r = 0; r < xs.length; r++) {
            double kept = 1.0 / (1.0 + Math.exp(-4.0 * xs[r]));
            int expectedStop = plan.maxSamples();
            int previous = 0;
            for (int n = plan.nextCheck(0); ; previous = n, n = plan.nextCheck(n)) {
                double se = knownStandardError(kept, n);
                assertTrue(Math.abs(se - plan.tolerance()) > 1e-9, "the test's rows are not on the threshold");
                if (se < plan.tolerance() || n == plan.maxSamples()) {
                    expectedStop = n;
                    break;
                }
            }
            AdaptiveUncertainty a = answers.get(r);
            assertEquals(expectedStop, a.samplesUsed(), "stopping point of x = " + xs[r]);
            assertEquals(knownStandardError(kept, expectedStop), a.standardError(), 1e-12, "standard error at stop");
            assertTrue(a.standardError() < plan.tolerance() || a.samplesUsed() == plan.maxSamples());
            if (previous > 0) {
                assertTrue(knownStandardError(kept, previous) >= plan.tolerance(),
                        "stopping one check earlier would not have met the tolerance");
            }
            // The reported std is the population std of the same passes: SE = max std / sqrt(n - 1).
            double std = Math.max(a.summary().std()[0], a.summary().std()[1]);
            assertEquals(std / Math.sqrt(a.samplesUsed() - 1), a.standardError(), 1e-12);
            assertEquals(knownMean(kept, expectedStop), a.summary().mean()[0], 1e-12);
            stoppingPoints.add(a.samplesUsed());
        }
        // The rows span the range: the flattest stops at the first check, the steepest runs to maxSamples.
        assertEquals(plan.minSamples(), (int) stoppingPoints.first());
        assertEquals(plan.maxSamples(), (int) stoppingPoints.last());
        assertTrue(stoppingPoints.size() >= 3, "rows stop at different checks: " + stoppingPoints);
    }

    private static boolean dropsInput(long sample) {
        return new SplittableRandom(1000 + sample).nextDouble() < 0.3;
    }

    /** Class-0 probability of pass s: 1/2 when the input is dropped, sigmoid(4x) when kept. */
    private static double pass(double kept, int s) {
        return dropsInput(s) ? 0.5 : kept;
    }

    private static double knownMean(double kept, int n) {
        double sum = 0;
        for (int s = 0; s < n; s++) {
            sum += pass(kept, s);
        }
        return sum / n;
    }

    /** Two-pass sample variance (n - 1) of the first n passes over n, square-rooted. */
    private static double knownStandardError(double kept, int n) {
        double mean = knownMean(kept, n);
        double squares = 0;
        for (int s = 0; s < n; s++) {
            squares += (pass(kept, s) - mean) * (pass(kept, s) - mean);
        }
        return Math.sqrt(squares / (n - 1) / n);
    }

    @Test
    void everyRowStopsWithinItsBoundsAtACheckAndBelowToleranceUnlessAtMaxSamples() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(32, 16), 0.2, DataType.FLOAT, 3L);
        double[][] raw = MonteCarloPredictorTest.rows(5L, 40, 20).toDoubleMatrix();
        for (int r = 0; r < raw.length; r += 2) {
            for (int j = 0; j < raw[r].length; j++) {
                raw[r][j] *= 0.2; // rows near the origin, where the passes agree more
            }
        }
        AdaptiveSampling plan = new AdaptiveSampling(0.02, 8, 200);
        List<Integer> checks = new ArrayList<>();
        for (int n = plan.nextCheck(0); ; n = plan.nextCheck(n)) {
            checks.add(n);
            if (n == plan.maxSamples()) {
                break;
            }
        }
        assertEquals(List.of(8, 16, 32, 64, 128, 200), checks, "doubling rounds, the last one cut at maxSamples");
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<AdaptiveUncertainty> answers = predictor.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED,
                    false, MonteCarloPredictor.NEVER);
            TreeSet<Integer> used = new TreeSet<>();
            for (AdaptiveUncertainty a : answers) {
                assertTrue(checks.contains(a.samplesUsed()), "stopped at a check: " + a.samplesUsed());
                assertTrue(a.standardError() < plan.tolerance() || a.samplesUsed() == plan.maxSamples(),
                        "SE " + a.standardError() + " after " + a.samplesUsed());
                used.add(a.samplesUsed());
            }
            System.out.println("AdaptiveSamplingTest: passes used by 40 random rows " + used);
            assertTrue(used.size() >= 2, "rows of different difficulty take different numbers of passes: " + used);
        }
    }

    @Test
    void aRowsAnswerIsTheFixedAnswerOfItsOwnSampleCountAloneOrAmongOthers() {
        Network network = MonteCarloPredictorTest.withRandomBiases(
                MonteCarloPredictorTest.randomNetwork(List.of(32, 16), 0.5, DataType.FLOAT, 4L), 6L);
        double[][] raw = MonteCarloPredictorTest.rows(9L, 30, 20).mul(2.0).toDoubleMatrix();
        AdaptiveSampling plan = new AdaptiveSampling(0.01, 10, 160);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<AdaptiveUncertainty> together = predictor.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED,
                    true, MonteCarloPredictor.NEVER);
            for (int r = 0; r < raw.length; r += 3) {
                double[][] alone = {raw[r]};
                AdaptiveUncertainty single = predictor.predictAdaptive(network, RowMatrix.of(alone, 20), plan, SEED,
                        true, MonteCarloPredictor.NEVER).get(0);
                assertEquals(together.get(r).samplesUsed(), single.samplesUsed(), "row " + r + " stops at the same check");
                MonteCarloPredictorTest.assertWithinRounding(List.of(single.summary()),
                        List.of(together.get(r).summary()), Precision.FLOAT);
                List<Uncertainty> fixed = predictor.predict(network, alone, single.samplesUsed(),
                        MaskSource.seeded(SEED), WeightMaskSource.seeded(SEED), true);
                MonteCarloPredictorTest.assertWithinRounding(fixed, List.of(single.summary()), Precision.FLOAT);
                assertEquals(fixed.get(0).variationRatio(), single.summary().variationRatio(), 1e-12);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameStoppingPointsAndNumbersAndAnotherSeedOtherNumbers() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(24), 0.5, DataType.FLOAT, 8L);
        double[][] raw = MonteCarloPredictorTest.rows(12L, 25, 20).mul(2.0).toDoubleMatrix();
        AdaptiveSampling plan = new AdaptiveSampling(0.01, 10, 320);
        try (MonteCarloPredictor two = new MonteCarloPredictor(2); MonteCarloPredictor one = new MonteCarloPredictor(1)) {
            List<AdaptiveUncertainty> first = two.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED, false,
                    MonteCarloPredictor.NEVER);
            List<AdaptiveUncertainty> again = one.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED, false,
                    MonteCarloPredictor.NEVER);
            List<AdaptiveUncertainty> other = two.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED + 1,
                    false, MonteCarloPredictor.NEVER);
            boolean differs = false;
            for (int r = 0; r < raw.length; r++) {
                assertEquals(first.get(r).samplesUsed(), again.get(r).samplesUsed());
                assertEquals(first.get(r).standardError(), again.get(r).standardError(), 0.0);
                MonteCarloPredictorTest.assertIdentical(List.of(first.get(r).summary()), List.of(again.get(r).summary()));
                differs |= first.get(r).summary().mean()[0] != other.get(r).summary().mean()[0];
            }
            assertTrue(differs, "another seed draws other masks");
        }
    }

    @Test
    void identicalRowsGetIdenticalAnswersOfTheirOwn() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(16), 0.5, DataType.FLOAT, 2L);
        double[][] raw = MonteCarloPredictorTest.rows(3L, 4, 20).toDoubleMatrix();
        double[][] withCopies = {raw[0], raw[1], raw[0], raw[2], raw[0], raw[3]};
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            List<AdaptiveUncertainty> answers = predictor.predictAdaptive(network, RowMatrix.of(withCopies, 20),
                    AdaptiveSampling.defaults(), SEED, false, MonteCarloPredictor.NEVER);
            assertEquals(6, answers.size());
            for (int copy : new int[] {2, 4}) {
                assertEquals(answers.get(0).samplesUsed(), answers.get(copy).samplesUsed());
                assertArrayEquals(answers.get(0).summary().mean(), answers.get(copy).summary().mean(), 0.0);
                assertNotEquals(System.identityHashCode(answers.get(0).summary().mean()),
                        System.identityHashCode(answers.get(copy).summary().mean()), "arrays of its own");
            }
        }
    }

    @Test
    void aDropConnectRowsAnswerIsAlsoTheFixedAnswerOfItsOwnSampleCount() {
        Network network = DropConnectTest.dropConnectNetwork(List.of(24, 16), DataType.FLOAT, 0.1, 5L);
        double[][] raw = MonteCarloPredictorTest.rows(21L, 7, 20).mul(2.0).toDoubleMatrix();
        AdaptiveSampling plan = new AdaptiveSampling(0.01, 6, 96);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<AdaptiveUncertainty> answers = predictor.predictAdaptive(network, RowMatrix.of(raw, 20), plan, SEED,
                    false, MonteCarloPredictor.NEVER);
            TreeSet<Integer> used = new TreeSet<>();
            for (int r = 0; r < raw.length; r++) {
                int n = answers.get(r).samplesUsed();
                used.add(n);
                List<Uncertainty> fixed = predictor.predict(network, new double[][] {raw[r]}, n,
                        MaskSource.seeded(SEED), WeightMaskSource.seeded(SEED), false);
                MonteCarloPredictorTest.assertWithinRounding(fixed, List.of(answers.get(r).summary()), Precision.FLOAT);
            }
            assertTrue(used.size() >= 2 || used.first() > plan.minSamples(), "rows left in later rounds: " + used);
        }
    }

    @Test
    void aNetworkWithoutDropoutStopsEveryRowAtMinSamplesWithNoSpread() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(16), 0.0, DataType.FLOAT, 2L);
        double[][] raw = MonteCarloPredictorTest.rows(3L, 3, 20).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            for (AdaptiveUncertainty a : predictor.predictAdaptive(network, RowMatrix.of(raw, 20),
                    new AdaptiveSampling(0.01, 12, 100), SEED, false, MonteCarloPredictor.NEVER)) {
                assertEquals(12, a.samplesUsed());
                assertEquals(0.0, a.standardError(), 0.0);
                assertArrayEquals(new double[5], a.summary().std(), 0.0);
            }
        }
    }

    @Test
    void mergingTheStatisticsOfTwoRangesOfPassesEqualsFoldingThemAll() {
        int rows = 3;
        int classes = 4;
        Random random = new Random(17L);
        double[] scores = new double[70 * rows * classes];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 3.0 * random.nextGaussian();
        }
        double[] bias = {0.1, -0.2, 0.3, 0.0};
        MonteCarloStatistics all = new MonteCarloStatistics(rows, classes, true);
        all.accept(scores, bias);
        int split = 23 * rows * classes;
        MonteCarloStatistics head = new MonteCarloStatistics(rows, classes, true);
        head.accept(java.util.Arrays.copyOfRange(scores, 0, split), bias);
        MonteCarloStatistics tail = new MonteCarloStatistics(rows, classes, true);
        tail.accept(java.util.Arrays.copyOfRange(scores, split, scores.length), bias);
        for (int b = 0; b < rows; b++) {
            RowMoments merged = head.row(b).merge(tail.row(b));
            assertEquals(70, merged.passes());
            Uncertainty expected = all.row(b).summary(false);
            Uncertainty actual = merged.summary(false);
            MonteCarloPredictorTest.assertWithinRounding(List.of(expected), List.of(actual), Precision.DOUBLE);
            assertEquals(expected.variationRatio(), actual.variationRatio(), 0.0);
            assertEquals(all.row(b).standardError(), merged.standardError(), 1e-14);
        }
    }

    @Test
    void aStopSignalStopsTheRounds() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(16), 0.5, DataType.FLOAT, 2L);
        double[][] raw = MonteCarloPredictorTest.rows(3L, 3, 20).toDoubleMatrix();
        AtomicInteger asked = new AtomicInteger();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            assertThrows(PredictionStoppedException.class, () -> predictor.predictAdaptive(network,
                    RowMatrix.of(raw, 20), new AdaptiveSampling(1e-6, 4, 4000), SEED, false,
                    () -> asked.incrementAndGet() > 20));
        }
    }

    @Test
    void settingsOutsideTheirBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveSampling(0.0, 10, 100));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveSampling(Double.NaN, 10, 100));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveSampling(0.01, 1, 100));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveSampling(0.01, 50, 49));
    }
}
