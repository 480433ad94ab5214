package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class MonteCarloPredictorTest {

    @ParameterizedTest
    @EnumSource(Precision.class)
    void reproducesTheSeedFixtureMonteCarloStatistics(Precision precision) throws IOException {
        JsonNode f = fixture();
        double p = f.get("dropoutProbability").asDouble();
        Network network = fixtureNetwork(f, p, precision.type);
        JsonNode keeps = f.get("monteCarlo").get("keeps");
        int passes = keeps.size();
        MaskSource fixtureMasks = (dropped, units, sample, site, prob) -> {
            assertEquals(1, site, "the fixture has dropout on the hidden layer only");
            java.util.Arrays.fill(dropped, 0L);
            int k = 0;
            for (double[] row : matrix(keeps.get((int) sample))) {
                for (double keep : row) {
                    if (keep == 0.0) {
                        dropped[k >>> 6] |= 1L << k;
                    }
                    k++;
                }
            }
            assertEquals(units, k);
        };
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> result = predictor.predict(network, Nd4j.create(matrix(f.get("X"))).castTo(precision.type),
                    passes, fixtureMasks, true);
            JsonNode mc = f.get("monteCarlo");
            double tol = precision.tolerance;
            for (int row = 0; row < result.size(); row++) {
                Uncertainty u = result.get(row);
                assertArrayEquals(matrix(mc.get("probabilitiesMean"))[row], u.mean(), tol);
                assertArrayEquals(matrix(mc.get("probabilitiesStd"))[row], u.std(), tol);
                assertArrayEquals(matrix(mc.get("scoresMean"))[row], u.scoresMean(), tol);
                assertArrayEquals(matrix(mc.get("scoresStd"))[row], u.scoresStd(), tol);
                assertEquals(mc.get("predictiveEntropy").get(row).asDouble(), u.predictiveEntropy(), tol);
                assertEquals(mc.get("mutualInformation").get(row).asDouble(), u.mutualInformation(), tol);
            }
        }
    }

    @Test
    void zeroSamplesIsTheTestModePassWithNoSpread() throws IOException {
        JsonNode f = fixture();
        Network network = fixtureNetwork(f, f.get("dropoutProbability").asDouble(), DataType.DOUBLE);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            List<Uncertainty> result = predictor.predict(network, Nd4j.create(matrix(f.get("X"))), 0, 7L, true);
            double[][] expected = matrix(f.get("test").get("probabilities"));
            for (int row = 0; row < result.size(); row++) {
                Uncertainty u = result.get(row);
                assertArrayEquals(expected[row], u.mean(), 1e-9);
                assertArrayEquals(new double[expected[row].length], u.std(), 0.0);
                assertArrayEquals(matrix(f.get("test").get("scores"))[row], u.scoresMean(), 1e-9);
                assertEquals(0.0, u.mutualInformation());
                assertEquals(0.0, u.variationRatio());
            }
        }
    }

    @Test
    void stdIsExactlyZeroWhenNoUnitIsDropped() {
        Network network = randomNetwork(List.of(32, 16), 0.0, DataType.FLOAT, 3L);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            for (Uncertainty u : predictor.predict(network, rows(5L, 20, 20).castTo(DataType.FLOAT), 50, 11L, true)) {
                for (double s : u.std()) {
                    assertEquals(0.0, s);
                }
                for (double s : u.scoresStd()) {
                    assertEquals(0.0, s);
                }
                assertEquals(0.0, u.mutualInformation());
                assertEquals(0.0, u.variationRatio());
            }
        }
    }

    @Test
    void keptFractionIsOneMinusPWithinFourStandardErrors() {
        int units = 1_000_000;
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            float[] mask = new float[units];
            Dropout.fill(mask, 0, units, 2016L, 3L, 1, p);
            long kept = IntStream.range(0, units).filter(i -> mask[i] != 0f).count();
            for (float v : mask) {
                assertTrue(v == 0f || v == (float) (1 / (1 - p)), "kept units are scaled by 1/(1-p)");
            }
            double se = Math.sqrt(p * (1 - p) / units);
            assertEquals(1 - p, (double) kept / units, 4 * se, "p = " + p);
        }
    }

    @Test
    void droppedBitsFollowPWithinFourStandardErrors() {
        int units = 1_000_000;
        for (double p : new double[] {0.1, 0.3, 0.5, 0.75, 0.9}) {
            long[] dropped = new long[(units + 63) / 64];
            Dropout.dropBits(dropped, units, 2016L, 3L, 1, p);
            long count = 0;
            for (int k = 0; k < units; k++) {
                count += (dropped[k >>> 6] >>> k) & 1L;
            }
            double se = Math.sqrt(p * (1 - p) / units);
            assertEquals(p, (double) count / units, 4 * se, "p = " + p);
        }
    }

    @Test
    void monteCarloMeanOfScoresTendsToTestModeScores() {
        // Dropout right before the linear output layer keeps the expectation of the scores (inverted dropout),
        // so the sample mean must sit within a few standard errors of the test-mode scores.
        Network network = randomNetwork(List.of(64), 0.5, DataType.DOUBLE, 5L);
        INDArray x = rows(9L, 6, 20);
        int samples = 10_000;
        double[][] test = network.scores(x).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> result = predictor.predict(network, x, samples, 123L, true);
            for (int row = 0; row < test.length; row++) {
                Uncertainty u = result.get(row);
                for (int c = 0; c < test[row].length; c++) {
                    double se = u.scoresStd()[c] / Math.sqrt(samples);
                    assertTrue(se > 0);
                    assertEquals(test[row][c], u.scoresMean()[c], 4 * se, "row " + row + " class " + c);
                }
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalOutputWithOneTwoAndFourThreads() {
        Network network = randomNetwork(List.of(256, 128), 0.5, DataType.FLOAT, 9L);
        INDArray x = rows(17L, 33, 20).castTo(DataType.FLOAT);
        List<Uncertainty> reference = null;
        for (int threads : new int[] {1, 2, 4}) {
            // A small chunk budget forces many chunks, so the threads really do split the work.
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(threads, 33L * 256 * 7)) {
                List<Uncertainty> result = predictor.predict(network, x, 100, 42L, true);
                if (reference == null) {
                    reference = result;
                } else {
                    assertIdentical(reference, result);
                }
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalOutputWhateverTheNativeThreadCount() {
        Network network = randomNetwork(List.of(512, 256), 0.5, DataType.FLOAT, 12L);
        INDArray x = rows(19L, 64, 20).castTo(DataType.FLOAT);
        int before = NativeThreads.blasThreads();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            NativeThreads.set(1);
            List<Uncertainty> one = predictor.predict(network, x, 50, 5L, true);
            NativeThreads.set(2);
            List<Uncertainty> two = predictor.predict(network, x, 50, 5L, true);
            NativeThreads.set(4);
            List<Uncertainty> four = predictor.predict(network, x, 50, 5L, true);
            assertIdentical(one, two);
            assertIdentical(one, four);
        } finally {
            NativeThreads.set(Math.max(1, before));
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void sameSeedGivesIdenticalOutputWhateverTheChunkSize(Precision precision) {
        Network network = randomNetwork(List.of(64, 32), 0.5, precision.type, 10L);
        INDArray x = rows(18L, 7, 20).castTo(precision.type);
        List<Uncertainty> reference = null;
        for (long chunkElements : new long[] {1L, 7L * 64 * 3, 7L * 64 * 10, MonteCarloPredictor.DEFAULT_CHUNK_ELEMENTS}) {
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(2, chunkElements)) {
                List<Uncertainty> result = predictor.predict(network, x, 40, 99L, true);
                if (reference == null) {
                    reference = result;
                } else if (precision == Precision.DOUBLE) {
                    assertIdentical(reference, result);
                } else {
                    // BLAS picks float kernels by matrix shape, so a different chunk size may move the last bits.
                    assertClose(reference, result, 1e-6);
                }
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentSamples() {
        Network network = randomNetwork(List.of(64), 0.5, DataType.FLOAT, 9L);
        INDArray x = rows(1L, 4, 20).castTo(DataType.FLOAT);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            double[] a = predictor.predict(network, x, 30, 1L, false).get(0).mean();
            double[] b = predictor.predict(network, x, 30, 2L, false).get(0).mean();
            assertTrue(!java.util.Arrays.equals(a, b));
        }
    }

    @Test
    void statisticsAreWellFormedProbabilities() {
        Network network = randomNetwork(List.of(48, 48), 0.3, DataType.FLOAT, 4L);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            for (Uncertainty u : predictor.predict(network, rows(8L, 12, 20).castTo(DataType.FLOAT), 200, 8L, false)) {
                double sum = 0;
                for (double m : u.mean()) {
                    assertTrue(m >= 0 && m <= 1);
                    sum += m;
                }
                assertEquals(1.0, sum, 1e-9);
                assertTrue(u.predictiveEntropy() >= 0 && u.predictiveEntropy() <= Math.log(u.mean().length) + 1e-12);
                assertTrue(u.mutualInformation() >= 0 && u.mutualInformation() <= u.predictiveEntropy() + 1e-12);
                assertTrue(u.variationRatio() >= 0 && u.variationRatio() < 1);
                assertEquals(MonteCarloPredictor.argmax(u.mean()), u.predictedClass());
            }
        }
    }

    static void assertClose(List<Uncertainty> expected, List<Uncertainty> actual, double tolerance) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).mean(), actual.get(i).mean(), tolerance);
            assertArrayEquals(expected.get(i).std(), actual.get(i).std(), tolerance);
            assertArrayEquals(expected.get(i).scoresMean(), actual.get(i).scoresMean(), tolerance);
            assertEquals(expected.get(i).mutualInformation(), actual.get(i).mutualInformation(), tolerance);
        }
    }

    static void assertIdentical(List<Uncertainty> expected, List<Uncertainty> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Uncertainty e = expected.get(i);
            Uncertainty a = actual.get(i);
            assertArrayEquals(e.mean(), a.mean(), 0.0);
            assertArrayEquals(e.std(), a.std(), 0.0);
            assertArrayEquals(e.scoresMean(), a.scoresMean(), 0.0);
            assertArrayEquals(e.scoresStd(), a.scoresStd(), 0.0);
            assertEquals(e.predictiveEntropy(), a.predictiveEntropy(), 0.0);
            assertEquals(e.mutualInformation(), a.mutualInformation(), 0.0);
            assertEquals(e.variationRatio(), a.variationRatio(), 0.0);
        }
    }

    /** Gaussian rows drawn from our own seeded generator, so the test does not depend on ND4J's global RNG. */
    static INDArray rows(long seed, int rows, int cols) {
        java.util.Random random = new java.util.Random(seed);
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return Nd4j.create(m);
    }

    static Network randomNetwork(List<Integer> hidden, double p, DataType type, long seed) {
        List<String> classes = List.of("a", "b", "c", "d", "e");
        return Network.initialize(NetworkSpec.of(20, hidden, classes.size(), p), classes,
                Standardization.identity(20), type, seed);
    }

    static Network fixtureNetwork(JsonNode f, double p, DataType type) {
        Layer hidden = new Layer(Nd4j.create(matrix(f.get("W1"))).castTo(type),
                Nd4j.create(vector(f.get("b1"))).castTo(type), Activation.RELU, p);
        Layer output = new Layer(Nd4j.create(matrix(f.get("W2"))).castTo(type),
                Nd4j.create(vector(f.get("b2"))).castTo(type), Activation.LINEAR, 0.0);
        int d = (int) hidden.weights().rows();
        return new Network(List.of(hidden, output), 0.0, Standardization.identity(d), List.of("0", "1", "2"));
    }

    static JsonNode fixture() throws IOException {
        try (InputStream in = MonteCarloPredictorTest.class.getResourceAsStream("/fixtures/seed-two-layer-net.json")) {
            return JsonMapper.builder().build().readTree(in);
        }
    }

    static double[][] matrix(JsonNode node) {
        double[][] m = new double[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(node.get(i));
        }
        return m;
    }

    static double[] vector(JsonNode node) {
        double[] v = new double[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asDouble();
        }
        return v;
    }
}
