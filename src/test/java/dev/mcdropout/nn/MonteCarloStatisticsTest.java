package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MonteCarloStatisticsTest {

    private static final int ROWS = 40;
    private static final int CLASSES = 10;
    private static final int PASSES = 30;
    private static final double[] BIAS = {0.1, -0.2, 0.3, 0.0, 1.5, -1.0, 0.25, 0.0, -0.5, 2.0};

    /** Sample-major scores: pass s of row b at {@code (s * ROWS + b) * CLASSES}. */
    private static double[] scores(long seed) {
        Random random = new Random(seed);
        double[] scores = new double[PASSES * ROWS * CLASSES];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 3.0 * random.nextGaussian();
        }
        return scores;
    }

    private static MonteCarloStatistics folded(double[] scores, int threads) {
        MonteCarloStatistics stats = new MonteCarloStatistics(ROWS, CLASSES, true);
        try (ParallelSamples parallel = new ParallelSamples(threads)) {
            // two chunks, so the second pass's Welford steps count on from the first's
            int half = PASSES / 2 * ROWS * CLASSES;
            stats.accept(Arrays.copyOfRange(scores, 0, half), PASSES / 2, BIAS, parallel);
            stats.accept(Arrays.copyOfRange(scores, half, scores.length), PASSES - PASSES / 2, BIAS, parallel);
        }
        return stats;
    }

    @Test
    void foldingIsBitIdenticalWhateverTheThreads() {
        double[] scores = scores(1L);
        MonteCarloStatistics sequential = new MonteCarloStatistics(ROWS, CLASSES, true);
        sequential.accept(scores, BIAS);
        for (int threads : new int[] {1, 2, 3}) {
            List<Uncertainty> expected = sequential.result(false);
            List<Uncertainty> actual = folded(scores, threads).result(false);
            for (int b = 0; b < ROWS; b++) {
                Uncertainty e = expected.get(b);
                Uncertainty a = actual.get(b);
                assertArrayEquals(e.mean(), a.mean(), 0.0, threads + " threads, row " + b);
                assertArrayEquals(e.std(), a.std(), 0.0);
                assertArrayEquals(e.scoresMean(), a.scoresMean(), 0.0);
                assertArrayEquals(e.scoresStd(), a.scoresStd(), 0.0);
                assertEquals(e.mutualInformation(), a.mutualInformation(), 0.0);
                assertEquals(e.variationRatio(), a.variationRatio(), 0.0);
            }
        }
    }

    @Test
    void statisticsAreTheTextbookOnesToRounding() {
        double[] scores = scores(2L);
        List<Uncertainty> folded = folded(scores, 2).result(false);
        for (int b = 0; b < ROWS; b++) {
            double[] mean = new double[CLASSES];
            double[] square = new double[CLASSES];
            double[] scoreMean = new double[CLASSES];
            int[] votes = new int[CLASSES];
            double entropy = 0.0;
            for (int s = 0; s < PASSES; s++) {
                double[] z = new double[CLASSES];
                for (int c = 0; c < CLASSES; c++) {
                    z[c] = scores[(s * ROWS + b) * CLASSES + c] + BIAS[c];
                    scoreMean[c] += z[c] / PASSES;
                }
                double[] p = new double[CLASSES];
                Probabilities.softmax(z, p);
                for (int c = 0; c < CLASSES; c++) {
                    mean[c] += p[c] / PASSES;
                    square[c] += p[c] * p[c] / PASSES;
                }
                entropy += Probabilities.entropy(p) / PASSES;
                votes[Probabilities.argmax(p)]++;
            }
            Uncertainty u = folded.get(b);
            for (int c = 0; c < CLASSES; c++) {
                assertEquals(mean[c], u.mean()[c], 1e-14, "row " + b + " class " + c);
                assertEquals(Math.sqrt(Math.max(0, square[c] - mean[c] * mean[c])), u.std()[c], 1e-7);
                assertEquals(scoreMean[c], u.scoresMean()[c], 1e-13);
            }
            assertEquals(Probabilities.entropy(u.mean()) - entropy, u.mutualInformation(), 1e-13);
            int modal = Probabilities.argmax(votes);
            assertEquals(1.0 - (double) votes[modal] / PASSES, u.variationRatio(), 0.0);
        }
    }

    @Test
    void aTiedPassVotesForTheFirstOfTheTiedClasses() {
        MonteCarloStatistics stats = new MonteCarloStatistics(1, 3, false);
        // two passes tied between classes 0 and 1, one for class 0, two for class 2
        stats.accept(new double[] {2, 2, 0, 2, 2, 0, 5, 0, 0, 0, 0, 5, 0, 0, 5}, null);
        assertEquals(5L, stats.row(0).passes());
        // ties to the first: 3 votes of 5 for class 0; ties to the last would leave 2 of 5 for the modal class
        assertEquals(1.0 - 3.0 / 5.0, stats.result(false).get(0).variationRatio(), 1e-15);
    }

    @Test
    void theFirstNonFiniteScoreInSampleMajorOrderIsTheOneReported() {
        for (int threads : new int[] {1, 2, 3}) {
            double[] scores = scores(3L);
            scores[(5 * ROWS + 2) * CLASSES + 4] = Double.POSITIVE_INFINITY; // pass 5, row 2: later
            scores[(3 * ROWS + 35) * CLASSES + 1] = Double.NaN;              // pass 3, row 35: later in the pass
            scores[(3 * ROWS + 30) * CLASSES + 7] = Double.NEGATIVE_INFINITY; // pass 3, row 30: the first
            NonFiniteResultException e = assertThrows(NonFiniteResultException.class, () -> folded(scores, threads));
            assertEquals("row 30: the network's class scores overflowed to -Infinity; its weights or inputs are too "
                    + "large to compute in floating point", e.getMessage(), threads + " threads");
        }
    }

    @Test
    void everyKindOfNonFiniteScoreIsFound() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            for (int c = 0; c < CLASSES; c++) {
                double[] scores = scores(4L);
                scores[(7 * ROWS + 11) * CLASSES + c] = bad;
                NonFiniteResultException e = assertThrows(NonFiniteResultException.class, () -> folded(scores, 1));
                assertEquals("row 11: the network's class scores overflowed to " + bad + "; its weights or inputs "
                        + "are too large to compute in floating point", e.getMessage());
            }
        }
        double[] allNegativeInfinity = new double[CLASSES];
        Arrays.fill(allNegativeInfinity, Double.NEGATIVE_INFINITY);
        assertThrows(NonFiniteResultException.class,
                () -> new MonteCarloStatistics(1, CLASSES, false).accept(allNegativeInfinity, null));
    }
}
