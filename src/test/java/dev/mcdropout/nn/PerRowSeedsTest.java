package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A seed per row (issue 12, batching concurrent requests): the rows of several requests, each with its own seed,
 * run as one engine call, and each row must draw exactly the masks it draws in a request of its own.
 */
class PerRowSeedsTest {

    /** docs/api.md, "Reproducibility": a row alone or among other rows agrees to this, for a float32 model. */
    private static final double BOUND = 1e-5;

    @Test
    void eachRowDrawsBitForBitTheMasksOfItsOwnSeedInEveryUnitCountSampleSiteAndRate() {
        Random random = new Random(3);
        int compared = 0;
        for (int units : new int[] {1, 63, 64, 65, 256, 1000}) {
            for (double p : new double[] {0.5, 0.1, 0.3, 0.9}) {
                int rows = 9;
                long[] keys = new long[rows];
                long[] seeds = new long[rows];
                for (int b = 0; b < rows; b++) {
                    keys[b] = random.nextLong();
                    // Runs of equal seeds (a request's rows) and changes between them, as a batch has them.
                    seeds[b] = b < 3 ? 7L : b < 4 ? -1L : b < 8 ? random.nextLong() : 7L;
                }
                int words = Dropout.words(units);
                for (long sample : new long[] {0, 1, 99}) {
                    for (int site : new int[] {0, 1, 2}) {
                        long[] batched = new long[rows * words];
                        MaskSource.seeded(seeds).fillRows(batched, units, sample, site, keys, p);
                        for (int b = 0; b < rows; b++) {
                            long[] alone = new long[words];
                            MaskSource.seeded(seeds[b]).fillRows(alone, units, sample, site, new long[] {keys[b]}, p);
                            long[] viaFill = new long[words];
                            MaskSource.seeded(seeds).fill(viaFill, 0, units, sample, site, b, keys[b], p);
                            for (int w = 0; w < words; w++) {
                                long mask = w == words - 1 && units % 64 != 0 ? (1L << (units % 64)) - 1 : -1L;
                                assertEquals(alone[w] & mask, batched[b * words + w] & mask,
                                        "units " + units + " p " + p + " sample " + sample + " site " + site + " row " + b);
                                assertEquals(alone[w] & mask, viaFill[w] & mask);
                            }
                            compared++;
                        }
                    }
                }
            }
        }
        assertEquals(6 * 4 * 3 * 3 * 9, compared);
    }

    @Test
    void rowsOfThreeRequestsInOneCallGetTheAnswersTheyGetAloneAndEqualRowsWithOtherSeedsStayApart() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(64, 32), 0.5, DataType.FLOAT, 21L);
        RowMatrix a = rowMatrix(MonteCarloPredictorTest.rows(1L, 3, 20).toDoubleMatrix());
        RowMatrix b = rowMatrix(MonteCarloPredictorTest.rows(2L, 1, 20).toDoubleMatrix());
        // The third request repeats a's first row (same values, another seed) and its own row twice.
        double[][] c = MonteCarloPredictorTest.rows(3L, 1, 20).toDoubleMatrix();
        RowMatrix third = rowMatrix(new double[][] {a.row(0), c[0], c[0]});
        long[] seeds = {11L, -5L, 11L << 40};
        List<RowMatrix> requests = List.of(a, b, third);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<List<Uncertainty>> alone = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                alone.add(predictor.predict(network, requests.get(i), 50, seeds[i], true, MonteCarloPredictor.NEVER));
            }
            double[] values = new double[7 * 20];
            long[] rowSeeds = new long[7];
            int row = 0;
            for (int i = 0; i < requests.size(); i++) {
                RowMatrix r = requests.get(i);
                System.arraycopy(r.values(), 0, values, row * 20, r.rows() * 20);
                java.util.Arrays.fill(rowSeeds, row, row + r.rows(), seeds[i]);
                row += r.rows();
            }
            List<Uncertainty> together = predictor.predict(network, new RowMatrix(values, 7, 20), 50, rowSeeds, true,
                    MonteCarloPredictor.NEVER);

            assertEquals(7, together.size());
            int at = 0;
            double worst = 0;
            for (List<Uncertainty> request : alone) {
                for (Uncertainty expected : request) {
                    worst = Math.max(worst, assertClose(expected, together.get(at++)));
                }
            }
            System.out.println("PerRowSeedsTest: worst difference, one call against calls of their own: " + worst);
            // The same values under seeds 11 and 11 << 40 are two rows with two sets of masks, not one.
            assertTrue(differs(together.get(0).mean(), together.get(4).mean()));
            // A repeated row of one request is computed once: identical answers, arrays of their own.
            assertArrayEquals(together.get(5).mean(), together.get(6).mean(), 0.0);
            assertTrue(together.get(5).mean() != together.get(6).mean());
        }
    }

    @Test
    void oneSeedForEveryRowIsExactlyTheCallWithThatSeed() {
        Network network = MonteCarloPredictorTest.randomNetwork(List.of(32), 0.3, DataType.FLOAT, 5L);
        RowMatrix rows = rowMatrix(MonteCarloPredictorTest.rows(4L, 5, 20).toDoubleMatrix());
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            List<Uncertainty> seeded = predictor.predict(network, rows, 40, 9L, false, MonteCarloPredictor.NEVER);
            List<Uncertainty> perRow = predictor.predict(network, rows, 40, new long[] {9L, 9L, 9L, 9L, 9L}, false,
                    MonteCarloPredictor.NEVER);
            for (int r = 0; r < 5; r++) {
                assertArrayEquals(seeded.get(r).mean(), perRow.get(r).mean(), 0.0);
                assertArrayEquals(seeded.get(r).std(), perRow.get(r).std(), 0.0);
            }
        }
    }

    @Test
    void aDropConnectNetworkRefusesRowsWithDifferentSeedsBecauseItsWeightMasksAreSharedByEveryRow() {
        Network network = DropConnectTest.dropConnectNetwork(List.of(16), DataType.FLOAT, 0.0, 2L);
        RowMatrix rows = rowMatrix(MonteCarloPredictorTest.rows(6L, 2, 20).toDoubleMatrix());
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            assertThrows(IllegalArgumentException.class, () -> predictor.predict(network, rows, 10,
                    new long[] {1L, 2L}, false, MonteCarloPredictor.NEVER));
            assertEquals(2, predictor.predict(network, rows, 10, new long[] {3L, 3L}, false,
                    MonteCarloPredictor.NEVER).size());
        }
    }

    private static double assertClose(Uncertainty expected, Uncertainty actual) {
        double worst = 0;
        for (int c = 0; c < expected.mean().length; c++) {
            worst = Math.max(worst, Math.abs(expected.mean()[c] - actual.mean()[c]));
            worst = Math.max(worst, Math.abs(expected.std()[c] - actual.std()[c]));
            assertEquals(expected.mean()[c], actual.mean()[c], BOUND);
            assertEquals(expected.std()[c], actual.std()[c], BOUND);
            assertEquals(expected.scoresMean()[c], actual.scoresMean()[c],
                    BOUND * Math.max(1, Math.abs(expected.scoresMean()[c])));
        }
        assertEquals(expected.predictiveEntropy(), actual.predictiveEntropy(), BOUND);
        assertEquals(expected.mutualInformation(), actual.mutualInformation(), BOUND);
        assertEquals(expected.variationRatio(), actual.variationRatio(), BOUND);
        return worst;
    }

    private static boolean differs(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i] - y[i]) > 1e-3) {
                return true;
            }
        }
        return false;
    }

    private static RowMatrix rowMatrix(double[][] rows) {
        return RowMatrix.of(rows, rows[0].length);
    }
}
