package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
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
        MaskSource fixtureMasks = (dropped, offset, units, sample, site, row, rowKey, prob) -> {
            assertEquals(1, site, "the fixture has dropout on the hidden layer only");
            double[] keep = matrix(keeps.get((int) sample))[row];
            assertEquals(units, keep.length);
            java.util.Arrays.fill(dropped, offset, offset + Dropout.words(units), 0L);
            for (int k = 0; k < units; k++) {
                if (keep[k] == 0.0) {
                    dropped[offset + (k >>> 6)] |= 1L << k;
                }
            }
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
    void nativeThreadCountChangesTheAnswerOnlyByRounding() {
        // BLAS splits a product differently with more threads (and so may sum in another order): the promise
        // is agreement to rounding, and bit-identical answers for the same request at the same thread count.
        Network network = randomNetwork(List.of(512, 256), 0.5, DataType.FLOAT, 12L);
        INDArray x = rows(19L, 64, 20).castTo(DataType.FLOAT);
        int before = NativeThreads.blasThreads();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            NativeThreads.set(1);
            List<Uncertainty> one = predictor.predict(network, x, 50, 5L, true);
            assertIdentical(one, predictor.predict(network, x, 50, 5L, true));
            NativeThreads.set(2);
            List<Uncertainty> two = predictor.predict(network, x, 50, 5L, true);
            assertIdentical(two, predictor.predict(network, x, 50, 5L, true));
            NativeThreads.set(4);
            List<Uncertainty> four = predictor.predict(network, x, 50, 5L, true);
            assertWithinRounding(one, two, Precision.FLOAT);
            assertWithinRounding(one, four, Precision.FLOAT);
        } finally {
            NativeThreads.set(Math.max(1, before));
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void chunkSizeChangesTheAnswerOnlyByRoundingAndTheMasksNotAtAll(Precision precision) {
        Network network = randomNetwork(List.of(64, 32), 0.5, precision.type, 10L);
        INDArray x = rows(18L, 7, 20).castTo(precision.type);
        List<Uncertainty> reference = null;
        Map<String, long[]> referenceMasks = null;
        for (long chunkElements : new long[] {1L, 7L * 64 * 3, 7L * 64 * 10, MonteCarloPredictor.DEFAULT_CHUNK_ELEMENTS}) {
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(2, chunkElements)) {
                RecordingMasks masks = new RecordingMasks(99L);
                List<Uncertainty> result = predictor.predict(network, x, 40, masks, true);
                assertEquals(40 * 2 * 7, masks.drawn.size(), "one mask per sample, site and row");
                if (reference == null) {
                    reference = result;
                    referenceMasks = masks.drawn;
                } else {
                    // BLAS picks its kernels by matrix shape, so another chunk size may move the last bits.
                    assertWithinRounding(reference, result, precision);
                    assertSameMasks(referenceMasks, masks.drawn);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void aRowGetsTheSameMasksAndAnswerWhereverItSitsInTheRequest(Precision precision) {
        Network network = randomNetwork(List.of(48, 24), 0.5, precision.type, 21L);
        double[][] others = rows(31L, 199, 20).toDoubleMatrix();
        double[] row = rows(32L, 1, 20).toDoubleMatrix()[0];
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            RecordingMasks aloneMasks = new RecordingMasks(77L);
            Uncertainty alone = predictor.predict(network, Nd4j.create(new double[][] {row}), 60, aloneMasks, true).get(0);
            for (int size : new int[] {1, 3, 200}) {
                for (int position : new int[] {0, size / 2, size - 1}) {
                    double[][] batch = new double[size][];
                    for (int i = 0, o = 0; i < size; i++) {
                        batch[i] = i == position ? row : others[o++];
                    }
                    RecordingMasks masks = new RecordingMasks(77L);
                    List<Uncertainty> result = predictor.predict(network, Nd4j.create(batch), 60, masks, true);
                    assertSameMasks(aloneMasks.drawn, masks.rowsKeyed(Dropout.rowKey(row, precision.type)));
                    assertWithinRounding(List.of(alone), List.of(result.get(position)), precision);
                }
            }
        }
    }

    @Test
    void identicalRowsInOneRequestGetIdenticalAnswers() {
        Network network = randomNetwork(List.of(64, 32), 0.5, DataType.FLOAT, 22L);
        double[][] distinct = rows(33L, 6, 20).toDoubleMatrix();
        double[][] batch = {distinct[0], distinct[1], distinct[0], distinct[2], distinct[3], distinct[4], distinct[0]};
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> result = predictor.predict(network, batch, 80, 5L, true);
            assertIdentical(List.of(result.get(0), result.get(0)), List.of(result.get(2), result.get(6)));
            assertTrue(!java.util.Arrays.equals(result.get(0).mean(), result.get(1).mean()));
        }
    }

    @Test
    void fusedPassesOverThreeHiddenLayersMatchAPlainLoopOfForwardPasses() {
        // Input dropout, a hidden site with p = 0 between two that drop, non-zero biases, several chunks and
        // threads: the fused batched passes must compute what Network.forward computes sample by sample.
        Network network = withRandomBiases(Network.initialize(
                new NetworkSpec(20, List.of(32, 24, 16), 5, 0.2, List.of(0.5, 0.0, 0.3)),
                List.of("a", "b", "c", "d", "e"), Standardization.identity(20), DataType.DOUBLE, 41L), 42L);
        double[][] x = rows(43L, 7, 20).toDoubleMatrix();
        int samples = 25;
        long seed = 44L;
        List<Uncertainty> expected = plainMonteCarlo(network, x, samples, seed);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(3, 7L * 32 * 4)) {
            List<Uncertainty> actual = predictor.predict(network, x, samples, seed, true);
            for (int b = 0; b < x.length; b++) {
                Uncertainty e = expected.get(b);
                Uncertainty a = actual.get(b);
                assertArrayEquals(e.mean(), a.mean(), 1e-12, "row " + b);
                assertArrayEquals(e.std(), a.std(), 1e-12, "row " + b);
                assertArrayEquals(e.scoresMean(), a.scoresMean(), 1e-11, "row " + b);
                assertArrayEquals(e.scoresStd(), a.scoresStd(), 1e-11, "row " + b);
                assertEquals(e.predictiveEntropy(), a.predictiveEntropy(), 1e-12);
                assertEquals(e.mutualInformation(), a.mutualInformation(), 1e-12);
                assertEquals(e.variationRatio(), a.variationRatio(), 0.0);
                assertEquals(e.predictedClass(), a.predictedClass());
            }
            assertTrue(actual.get(0).mutualInformation() > 0, "the passes really differ");
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void theSkinnyOutputPathOverSeveralGroupsOfTenClassesMatchesAPlainLoopOfForwardPasses(Precision precision) {
        // One hidden layer with dropout only before the output layer: the scores are summed in Java
        // (SkinnyOutput), here 23 classes, so three groups of ten with a partial last one, over several chunks
        // and threads, against Network.forward sample by sample with the same masks.
        List<String> classes = java.util.stream.IntStream.range(0, 23).mapToObj(c -> "c" + c).toList();
        Network network = withRandomBiases(Network.initialize(
                new NetworkSpec(20, List.of(150), classes.size(), 0.0, List.of(0.3)),
                classes, Standardization.identity(20), precision.type, 51L), 52L);
        double[][] x = rows(53L, 9, 20).toDoubleMatrix();
        int samples = 30;
        List<Uncertainty> expected = plainMonteCarlo(network, x, samples, 54L);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(3, 9L * 23 * 4)) {
            List<Uncertainty> actual = predictor.predict(network, x, samples, 54L, true);
            assertWithinRounding(expected, actual, precision);
            for (int b = 0; b < x.length; b++) {
                assertEquals(expected.get(b).predictedClass(), actual.get(b).predictedClass(), "row " + b);
            }
            assertTrue(actual.get(0).mutualInformation() > 0, "the passes really differ");
        }
    }

    @Test
    void aFailingWorkerIsReportedOnlyAfterEveryHelperHasStopped() {
        Network network = randomNetwork(List.of(256), 0.5, DataType.FLOAT, 23L);
        INDArray x = rows(34L, 64, 20).castTo(DataType.FLOAT);
        Thread caller = Thread.currentThread();
        SlowHelpers masks = new SlowHelpers(caller, () -> {
            throw new IllegalStateException("mask source failed");
        });
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(4)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> predictor.predict(network, x, 100, masks, false));
            assertEquals("mask source failed", e.getMessage());
            assertTrue(masks.helperCalls.get() > 0, "helpers took part");
            assertEquals(0, masks.active.get(), "no helper still running when predict returns");
            assertEquals(0L, predictor.lentBufferBytes(), "every buffer given back");
        }
    }

    @Test
    void anInterruptedPredictionReturnsOnlyAfterEveryHelperHasStopped() {
        Network network = randomNetwork(List.of(256), 0.5, DataType.FLOAT, 23L);
        INDArray x = rows(34L, 64, 20).castTo(DataType.FLOAT);
        Thread caller = Thread.currentThread();
        SlowHelpers masks = new SlowHelpers(caller, caller::interrupt);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(4)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> predictor.predict(network, x, 100, masks, false));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
            assertTrue(masks.helperCalls.get() > 0, "helpers took part");
            assertEquals(0, masks.active.get(), "no helper still running when predict returns");
            assertEquals(0L, predictor.lentBufferBytes(), "every buffer given back");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void nativeMemoryOfARequestStaysWithinTheStatedBound() {
        // The class comment's bound: (layers - first site + 1) buffers of max(chunk, rows x widest) elements.
        Network network = randomNetwork(List.of(64, 32), 0.5, DataType.FLOAT, 24L);
        INDArray x = rows(35L, 7, 20).castTo(DataType.FLOAT);
        int buffers = network.layerCount() - 1 + 1;
        long oneSample = 7L * 64;
        for (long chunk : new long[] {1L, oneSample * 3, oneSample * 10, MonteCarloPredictor.DEFAULT_CHUNK_ELEMENTS}) {
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(2, chunk)) {
                predictor.resetPeakBufferBytes();
                predictor.predict(network, x, 40, 3L, false);
                long bound = buffers * Math.max(Math.min(chunk, 40 * oneSample), oneSample) * Float.BYTES;
                assertTrue(predictor.peakBufferBytes() > 0);
                assertTrue(predictor.peakBufferBytes() <= bound,
                        "chunk " + chunk + ": peak " + predictor.peakBufferBytes() + " > bound " + bound);
                assertEquals(0L, predictor.lentBufferBytes());
            }
        }
    }

    @Test
    void aTinyStandardisationStdIsRefusedForAFloatNetwork() {
        double[] std = new double[20];
        java.util.Arrays.fill(std, 1.0);
        std[7] = 1e-39;
        Standardization tiny = new Standardization(new double[20], std);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Network.initialize(NetworkSpec.of(20, List.of(8), 3, 0.5), List.of("a", "b", "c"), tiny,
                        DataType.FLOAT, 1L));
        assertTrue(e.getMessage().contains("feature 7") && e.getMessage().contains("overflows float32"), e.getMessage());
        // The same std is fine in double precision.
        Network.initialize(NetworkSpec.of(20, List.of(8), 3, 0.5), List.of("a", "b", "c"), tiny, DataType.DOUBLE, 1L);
    }

    @Test
    void aValueThatStandardisesToInfinityIsRefusedNamingRowAndFeature() {
        Network network = randomNetwork(List.of(16), 0.5, DataType.FLOAT, 25L);
        double[][] x = rows(36L, 3, 20).toDoubleMatrix();
        x[1] = x[0].clone(); // a repeated row is computed once: the error must still name the request's row
        x[2][11] = 1e39;
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            InputOutOfRangeException e = assertThrows(InputOutOfRangeException.class,
                    () -> predictor.predict(network, x, 10, 1L, false));
            assertEquals(2, e.row());
            assertEquals(11, e.feature());
        }
    }

    @Test
    void scoresThatOverflowAreNeverReturned() {
        Network finite = randomNetwork(List.of(16), 0.5, DataType.FLOAT, 26L);
        List<Layer> layers = new java.util.ArrayList<>();
        for (Layer layer : finite.layers()) {
            // Finite weights whose products overflow float32 (about 3.4e38) by the second layer.
            layers.add(new Layer(layer.weights().mul(1e30), layer.bias(), layer.activation(), layer.dropout()));
        }
        Network huge = new Network(layers, 0.0, finite.standardization(), finite.classes());
        INDArray x = rows(37L, 3, 20).castTo(DataType.FLOAT);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            assertThrows(NonFiniteResultException.class, () -> predictor.predict(huge, x, 10, 1L, false));
            assertThrows(NonFiniteResultException.class, () -> predictor.predict(huge, x, 0, 1L, false));
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
                assertEquals(Probabilities.argmax(u.mean()), u.predictedClass());
            }
        }
    }

    /** The tested rounding bound (docs/api.md, "Reproducibility"): relative to max(1, |value|). */
    static double roundingBound(Precision precision) {
        return precision == Precision.FLOAT ? FLOAT_BOUND : DOUBLE_BOUND;
    }

    static final double FLOAT_BOUND = 1e-5;
    static final double DOUBLE_BOUND = 1e-12;

    static void assertWithinRounding(List<Uncertainty> expected, List<Uncertainty> actual, Precision precision) {
        double bound = roundingBound(precision);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Uncertainty e = expected.get(i);
            Uncertainty a = actual.get(i);
            assertNear(e.mean(), a.mean(), bound, "mean of row " + i);
            assertNear(e.std(), a.std(), bound, "std of row " + i);
            if (e.scoresMean() != null) {
                assertNear(e.scoresMean(), a.scoresMean(), bound, "scoresMean of row " + i);
                assertNear(e.scoresStd(), a.scoresStd(), bound, "scoresStd of row " + i);
            }
            assertNear(new double[] {e.predictiveEntropy(), e.mutualInformation()},
                    new double[] {a.predictiveEntropy(), a.mutualInformation()}, bound, "entropy, MI of row " + i);
        }
    }

    static void assertNear(double[] expected, double[] actual, double bound, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int c = 0; c < expected.length; c++) {
            double scale = Math.max(1.0, Math.abs(expected[c]));
            noteDifference(Math.abs(expected[c] - actual[c]) / scale);
            assertTrue(Math.abs(expected[c] - actual[c]) <= bound * scale,
                    what + "[" + c + "]: " + expected[c] + " vs " + actual[c]);
        }
    }

    /** Worst difference seen by {@link #assertNear}, printed after the class for the docs' measured figure. */
    private static double worst;

    static synchronized double worstDifference() {
        return worst;
    }

    private static synchronized void noteDifference(double difference) {
        worst = Math.max(worst, difference);
    }

    @org.junit.jupiter.api.AfterAll
    static synchronized void printWorstDifference() {
        System.out.println("MonteCarloPredictorTest: worst difference within rounding = " + worst);
    }

    static void assertSameMasks(Map<String, long[]> expected, Map<String, long[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((key, bits) -> assertArrayEquals(bits, actual.get(key), key));
    }

    /** Seeded masks, each draw recorded under "sample/site/rowKey" (row positions left out on purpose). */
    static final class RecordingMasks implements MaskSource {
        final Map<String, long[]> drawn = new java.util.concurrent.ConcurrentHashMap<>();
        private final MaskSource seeded;

        RecordingMasks(long seed) {
            this.seeded = MaskSource.seeded(seed);
        }

        @Override
        public void fill(long[] dropped, int offset, int units, long sample, int site, int row, long rowKey, double p) {
            seeded.fill(dropped, offset, units, sample, site, row, rowKey, p);
            long[] bits = java.util.Arrays.copyOfRange(dropped, offset, offset + Dropout.words(units));
            long[] before = drawn.put(sample + "/" + site + "/" + rowKey, bits);
            if (before != null) {
                assertArrayEquals(before, bits, "identical rows draw identical masks");
            }
        }

        Map<String, long[]> rowsKeyed(long rowKey) {
            Map<String, long[]> out = new java.util.HashMap<>();
            drawn.forEach((key, bits) -> {
                if (key.endsWith("/" + rowKey)) {
                    out.put(key, bits);
                }
            });
            return out;
        }
    }

    /** Seeded masks; a helper thread's first draw waits 300 ms, the caller's first draw runs {@code onCaller}. */
    static final class SlowHelpers implements MaskSource {
        final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger helperCalls = new java.util.concurrent.atomic.AtomicInteger();
        private final Thread caller;
        private final Runnable onCaller;
        private final MaskSource seeded = MaskSource.seeded(1L);
        private final java.util.Set<Thread> slept = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile boolean callerDone;

        SlowHelpers(Thread caller, Runnable onCaller) {
            this.caller = caller;
            this.onCaller = onCaller;
        }

        @Override
        public void fill(long[] dropped, int offset, int units, long sample, int site, int row, long rowKey, double p) {
            Thread self = Thread.currentThread();
            if (self == caller) {
                if (!callerDone) {
                    callerDone = true;
                    // Fail (or interrupt) only once a helper is inside its slow first draw, so the test always
                    // has a helper to wait for, however fast the helpers were started.
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while (active.get() == 0 && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    onCaller.run();
                }
            } else {
                helperCalls.incrementAndGet();
                active.incrementAndGet();
                try {
                    if (slept.add(self)) {
                        Thread.sleep(300);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    active.decrementAndGet();
                }
            }
            seeded.fill(dropped, offset, units, sample, site, row, rowKey, p);
        }
    }

    /** Monte Carlo statistics the slow, obvious way: one Network.forward per sample with the seeded masks. */
    static List<Uncertainty> plainMonteCarlo(Network network, double[][] raw, int samples, long seed) {
        int rows = raw.length;
        int classes = network.outputs();
        INDArray x = network.standardize(Nd4j.create(raw).castTo(network.dataType()));
        double[][][] probs = new double[rows][samples][classes];
        double[][][] scores = new double[rows][samples][classes];
        for (int s = 0; s < samples; s++) {
            List<INDArray> masks = new java.util.ArrayList<>();
            for (int site = 0; site < network.layerCount(); site++) {
                double p = network.dropoutAt(site);
                int width = site == 0 ? network.inputs() : network.layers().get(site - 1).outputs();
                double[][] mask = new double[rows][width];
                for (int b = 0; b < rows; b++) {
                    long[] bits = new long[Dropout.words(width)];
                    Dropout.dropBits(bits, 0, width,
                            Dropout.key(seed, s, site, Dropout.rowKey(raw[b], network.dataType())), p);
                    for (int k = 0; k < width; k++) {
                        mask[b][k] = ((bits[k >>> 6] >>> k) & 1L) != 0 ? 0.0 : 1.0 / (1.0 - p);
                    }
                }
                masks.add(p == 0.0 ? null : Nd4j.create(mask).castTo(network.dataType()));
            }
            double[][] sc = network.forward(x, masks).scores().castTo(DataType.DOUBLE).toDoubleMatrix();
            for (int b = 0; b < rows; b++) {
                scores[b][s] = sc[b];
                Probabilities.softmax(sc[b], probs[b][s]);
            }
        }
        return summarise(probs, scores, samples);
    }

    /** Per row, the statistics of its passes' probabilities {@code probs[row][sample]} and scores. */
    static List<Uncertainty> summarise(double[][][] probs, double[][][] scores, int samples) {
        int rows = probs.length;
        int classes = probs[0][0].length;
        List<Uncertainty> out = new java.util.ArrayList<>();
        for (int b = 0; b < rows; b++) {
            double[] mean = columnMean(probs[b]);
            double entropyOfMean = Probabilities.entropy(mean);
            double meanEntropy = 0;
            int[] votes = new int[classes];
            for (double[] p : probs[b]) {
                meanEntropy += Probabilities.entropy(p) / samples;
                votes[Probabilities.argmax(p)]++;
            }
            int modal = 0;
            for (int c = 1; c < classes; c++) {
                modal = votes[c] > votes[modal] ? c : modal;
            }
            double[] scoresMean = columnMean(scores[b]);
            out.add(new Uncertainty(Probabilities.argmax(mean), mean, columnStd(probs[b], mean), entropyOfMean,
                    Math.max(0, entropyOfMean - meanEntropy), 1.0 - (double) votes[modal] / samples, scoresMean,
                    columnStd(scores[b], scoresMean)));
        }
        return out;
    }

    private static double[] columnMean(double[][] m) {
        double[] mean = new double[m[0].length];
        for (double[] row : m) {
            for (int c = 0; c < mean.length; c++) {
                mean[c] += row[c] / m.length;
            }
        }
        return mean;
    }

    private static double[] columnStd(double[][] m, double[] mean) {
        double[] std = new double[mean.length];
        for (double[] row : m) {
            for (int c = 0; c < mean.length; c++) {
                std[c] += (row[c] - mean[c]) * (row[c] - mean[c]) / m.length;
            }
        }
        for (int c = 0; c < std.length; c++) {
            std[c] = Math.sqrt(std[c]);
        }
        return std;
    }

    /** {@code network} with every bias drawn from N(0, 0.1^2), so that biases take part in the comparison. */
    static Network withRandomBiases(Network network, long seed) {
        java.util.Random random = new java.util.Random(seed);
        List<Layer> layers = new java.util.ArrayList<>();
        for (Layer layer : network.layers()) {
            double[] bias = new double[layer.outputs()];
            for (int j = 0; j < bias.length; j++) {
                bias[j] = 0.1 * random.nextGaussian();
            }
            layers.add(new Layer(layer.weights(), Nd4j.create(bias, new long[] {1, bias.length}, network.dataType()),
                    layer.activation(), layer.dropout()));
        }
        return new Network(layers, network.inputDropout(), network.standardization(), network.classes());
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
