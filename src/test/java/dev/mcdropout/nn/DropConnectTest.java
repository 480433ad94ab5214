package dev.mcdropout.nn;

import static dev.mcdropout.nn.MonteCarloPredictorTest.assertIdentical;
import static dev.mcdropout.nn.MonteCarloPredictorTest.assertWithinRounding;
import static dev.mcdropout.nn.MonteCarloPredictorTest.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DropConnect (Wan et al. 2013) in Monte Carlo prediction: the weight masks' statistics, one mask per sample and
 * layer shared by every row, the engine against a plain loop of forward passes, and reproducibility.
 */
class DropConnectTest {

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.3, 0.1, 0.77})
    void keptFractionOfWeightsIsOneMinusPWithinFourStandardErrors(double p) {
        int inputs = 97;
        int outputs = 61;
        int units = inputs * outputs;
        int samples = 200;
        WeightMaskSource source = WeightMaskSource.seeded(20130617L);
        long[] dropped = new long[Dropout.words(units)];
        long kept = 0;
        for (int s = 0; s < samples; s++) {
            source.fill(dropped, units, s, 1, p);
            kept += units - droppedCount(dropped, units);
        }
        double n = (double) units * samples;
        double se = Math.sqrt(p * (1 - p) / n);
        assertEquals(1 - p, kept / n, 4 * se, "kept fraction over " + (long) n + " weights");

        // The trainer's weight masks (one per mini-batch) as well: scaled by 1 / (1 - p) where kept, else 0.
        long trainingKept = 0;
        for (int step = 0; step < samples; step++) {
            INDArray mask = Dropout.scaledMask(7L, step, Dropout.weightSite(2), inputs, outputs, p, DataType.FLOAT);
            double[] values = Loss.toDoubles(mask);
            for (double v : values) {
                assertTrue(v == 0.0 || v == (float) (1.0 / (1.0 - p)), "mask value " + v);
                trainingKept += v == 0.0 ? 0 : 1;
            }
        }
        assertEquals(1 - p, trainingKept / n, 4 * se, "kept fraction of the training masks");
    }

    @Test
    void weightMasksDifferBySampleAndLayerAndFromEveryUnitMask() {
        int units = 64 * 40;
        long[] a = new long[Dropout.words(units)];
        long[] b = new long[Dropout.words(units)];
        WeightMaskSource source = WeightMaskSource.seeded(5L);
        source.fill(a, units, 3, 0, 0.5);
        source.fill(b, units, 3, 0, 0.5);
        assertArrayEquals(a, b, "a pure function of (seed, sample, layer)");
        source.fill(b, units, 4, 0, 0.5);
        assertFalse(java.util.Arrays.equals(a, b), "another sample");
        source.fill(b, units, 3, 1, 0.5);
        assertFalse(java.util.Arrays.equals(a, b), "another layer");
        // Unit masks use sites 0, 1, ... (with a row key in prediction): never the same key as a weight mask.
        for (int site = 0; site < 4; site++) {
            for (int layer = 0; layer < 4; layer++) {
                assertTrue(Dropout.key(5L, 3, site) != Dropout.weightKey(5L, 3, layer));
                assertTrue(Dropout.key(5L, 3, site, 0L) != Dropout.weightKey(5L, 3, layer));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 5})
    void everyRowOfASampleSharesOneWeightMaskPerLayer(int rows) {
        Network network = dropConnectNetwork(List.of(32, 16), DataType.FLOAT, 0.0, 3L);
        CountingWeightMasks masks = new CountingWeightMasks(11L);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2, rows * 32L * 3)) {
            predictor.predict(network, rows(1L, rows, 20).toDoubleMatrix(), 30, MaskSource.seeded(11L), masks, false);
        }
        // Two DropConnect layers, 30 samples: one draw each, whatever the number of rows or chunks.
        assertEquals(60, masks.calls.get());
        assertEquals(60, masks.seen.size());
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void enginePassesMatchAPlainLoopOfForwardPassesWithTheSameMasks(Precision precision) {
        // Input dropout (unit masks per row) in front of two DropConnect layers, random biases, many chunks; 3 rows
        // take the fused Java products, 6 the masked weights and BLAS.
        Network network = MonteCarloPredictorTest.withRandomBiases(
                dropConnectNetwork(List.of(48, 24), precision.type, 0.1, 13L), 4L);
        network = keepDropConnect(network, List.of(true, true));
        for (int rows : new int[] {3, DropConnectPass.FUSED_ROWS + 2}) {
            enginePassesMatchAPlainLoop(network, rows(2L, rows, 20).toDoubleMatrix(), precision);
        }
        // Without input dropout every sample's first product reads the same rows (no tiling).
        Network shared = keepDropConnect(MonteCarloPredictorTest.withRandomBiases(
                dropConnectNetwork(List.of(48, 24), precision.type, 0.0, 14L), 5L), List.of(true, true));
        for (int rows : new int[] {2, DropConnectPass.FUSED_ROWS + 3}) {
            enginePassesMatchAPlainLoop(shared, rows(6L, rows, 20).toDoubleMatrix(), precision);
        }
    }

    private static void enginePassesMatchAPlainLoop(Network network, double[][] raw, Precision precision) {
        List<Uncertainty> plain = plainMonteCarlo(network, raw, 25, 77L);
        for (long chunk : new long[] {raw.length * 48L * 4, MonteCarloPredictor.DEFAULT_CHUNK_ELEMENTS}) {
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(2, chunk)) {
                assertWithinRounding(plain, predictor.predict(network, raw, 25, 77L, true), precision);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 9})
    void sameSeedGivesIdenticalOutputWithOneTwoAndFourThreads(int rows) {
        Network network = dropConnectNetwork(List.of(128, 64), DataType.FLOAT, 0.2, 9L);
        double[][] raw = rows(17L, rows, 20).toDoubleMatrix();
        List<Uncertainty> reference = null;
        for (int threads : new int[] {1, 2, 4}) {
            try (MonteCarloPredictor predictor = new MonteCarloPredictor(threads, rows * 128L * 7)) {
                List<Uncertainty> result = predictor.predict(network, raw, 60, 42L, true);
                if (reference == null) {
                    reference = result;
                } else {
                    assertIdentical(reference, result);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void aRowGetsTheSameAnswerAloneAndAmongOtherRows(Precision precision) {
        Network network = dropConnectNetwork(List.of(40, 30), precision.type, 0.1, 21L);
        double[][] raw = rows(8L, 7, 20).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> together = predictor.predict(network, raw, 40, 5L, true);
            for (int r = 0; r < raw.length; r++) {
                List<Uncertainty> alone = predictor.predict(network, new double[][] {raw[r]}, 40, 5L, true);
                assertWithinRounding(alone, List.of(together.get(r)), precision);
            }
        }
    }

    @Test
    void monteCarloMeanOfScoresTendsToTestModeScores() {
        // With linear hidden layers the scores are linear in each weight mask, and the masks of different layers
        // are independent, so E[scores] is exactly the test-mode scores (weights scaled by 1 / (1 - p) where
        // kept): the sample mean must sit within a few standard errors of them.
        Network network = linearDropConnectNetwork();
        INDArray x = rows(9L, 6, 20);
        int samples = 4000;
        double[][] test = network.scores(x).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> result = predictor.predict(network, x, samples, 123L, true);
            double worst = 0;
            for (int row = 0; row < test.length; row++) {
                Uncertainty u = result.get(row);
                for (int c = 0; c < test[row].length; c++) {
                    double se = u.scoresStd()[c] / Math.sqrt(samples);
                    assertTrue(se > 0.01, "the passes must really differ");
                    assertEquals(test[row][c], u.scoresMean()[c], 4 * se, "row " + row + " class " + c);
                    worst = Math.max(worst, Math.abs(test[row][c] - u.scoresMean()[c]) / se);
                }
            }
            System.out.printf("DropConnect: Monte Carlo mean of scores within %.2f standard errors of test mode%n",
                    worst);
        }
    }

    @Test
    void zeroSamplesIsTheTestModePassWithUnmaskedWeights() {
        Network network = dropConnectNetwork(List.of(32), DataType.DOUBLE, 0.0, 2L);
        INDArray x = rows(3L, 4, 20);
        double[][] test = network.scores(x).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<Uncertainty> result = predictor.predict(network, x, 0, 1L, true);
            for (int r = 0; r < test.length; r++) {
                assertArrayEquals(test[r], result.get(r).scoresMean(), 1e-12);
                assertEquals(0.0, result.get(r).mutualInformation());
            }
        }
    }

    @Test
    void nativeMemoryOfARequestStaysWithinTheStatedBound() {
        // DropConnectPass's bound: (layers - first stochastic layer + 1) activation buffers of
        // max(chunk, rows x widest) elements, plus the masked weights of at most `threads` samples of one layer,
        // no more than fit in the chunk budget unless one copy is larger.
        Network network = dropConnectNetwork(List.of(64, 32), DataType.FLOAT, 0.0, 24L);
        double[][] raw = rows(35L, 7, 20).toDoubleMatrix();
        int buffers = network.layerCount() + 1;
        long oneSample = 7L * 64;
        for (long chunk : new long[] {1L, oneSample * 3, 3000L, MonteCarloPredictor.DEFAULT_CHUNK_ELEMENTS}) {
            for (int threads : new int[] {1, 2}) {
                try (MonteCarloPredictor predictor = new MonteCarloPredictor(threads, chunk)) {
                    predictor.resetPeakBufferBytes();
                    predictor.predict(network, raw, 40, 3L, false);
                    long activations = buffers * Math.max(Math.min(chunk, 40 * oneSample), oneSample);
                    long masked = 0;
                    for (long units : new long[] {20 * 64, 64 * 32}) {
                        masked = Math.max(masked, Math.max(1, Math.min(threads, chunk / units)) * units);
                    }
                    assertTrue(masked <= Math.max(chunk, 64 * 32), "the documented form of the bound");
                    long bound = (activations + masked) * Float.BYTES;
                    assertTrue(predictor.peakBufferBytes() > 0);
                    assertTrue(predictor.peakBufferBytes() <= bound,
                            "chunk " + chunk + ", threads " + threads + ": peak " + predictor.peakBufferBytes()
                                    + " > bound " + bound);
                    assertEquals(0L, predictor.lentBufferBytes());
                }
            }
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void printWorstDifference() {
        System.out.println("DropConnectTest: worst difference within rounding = "
                + MonteCarloPredictorTest.worstDifference());
    }

    // ------------------------------------------------------------------ helpers

    /** A network whose hidden layers all use DropConnect with p = 0.5 and 0.3 alternately. */
    static Network dropConnectNetwork(List<Integer> hidden, DataType type, double inputDropout, long seed) {
        List<String> classes = List.of("a", "b", "c", "d", "e");
        List<Double> p = new ArrayList<>();
        for (int i = 0; i < hidden.size(); i++) {
            p.add(i % 2 == 0 ? 0.5 : 0.3);
        }
        return Network.initialize(new NetworkSpec(20, hidden, classes.size(), inputDropout, p, true, false), classes,
                Standardization.identity(20), type, seed);
    }

    /** {@code network} with the given hidden layers set to DropConnect (Layer's 4-argument copies drop the flag). */
    static Network keepDropConnect(Network network, List<Boolean> flags) {
        List<Layer> layers = new ArrayList<>();
        List<Layer> old = network.layers();
        for (int i = 0; i < old.size(); i++) {
            Layer l = old.get(i);
            layers.add(new Layer(l.weights(), l.bias(), l.activation(), l.dropout(), i < flags.size() && flags.get(i),
                    l.batchNorm()));
        }
        return new Network(layers, network.inputDropout(), network.standardization(), network.classes());
    }

    /** Two linear hidden layers with DropConnect (p 0.5 and 0.3), DOUBLE, random biases. */
    private static Network linearDropConnectNetwork() {
        Network relu = MonteCarloPredictorTest.withRandomBiases(dropConnectNetwork(List.of(16, 12), DataType.DOUBLE,
                0.0, 31L), 8L);
        List<Layer> layers = new ArrayList<>();
        for (Layer l : relu.layers()) {
            boolean output = layers.size() == relu.layerCount() - 1;
            layers.add(new Layer(l.weights(), l.bias(), Activation.LINEAR, l.dropout(), !output, null));
        }
        return new Network(layers, 0.0, relu.standardization(), relu.classes());
    }

    private static int droppedCount(long[] dropped, int units) {
        int count = 0;
        for (int k = 0; k < units; k++) {
            count += (int) ((dropped[k >>> 6] >>> k) & 1L);
        }
        return count;
    }

    /** Monte Carlo statistics the slow, obvious way: one Network.forward per sample with the seeded masks. */
    static List<Uncertainty> plainMonteCarlo(Network network, double[][] raw, int samples, long seed) {
        int rows = raw.length;
        int classes = network.outputs();
        INDArray x = network.standardize(Nd4j.create(raw).castTo(network.dataType()));
        WeightMaskSource weightSource = WeightMaskSource.seeded(seed);
        double[][][] probs = new double[rows][samples][classes];
        double[][][] scores = new double[rows][samples][classes];
        for (int s = 0; s < samples; s++) {
            List<INDArray> masks = new ArrayList<>();
            List<INDArray> weightMasks = new ArrayList<>();
            for (int site = 0; site < network.layerCount(); site++) {
                double p = network.dropoutAt(site);
                Layer layer = network.layers().get(site);
                int width = layer.inputs();
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
                double pw = network.weightDropoutAt(site);
                if (pw == 0.0) {
                    weightMasks.add(null);
                    continue;
                }
                int units = layer.inputs() * layer.outputs();
                long[] bits = new long[Dropout.words(units)];
                weightSource.fill(bits, units, s, site, pw);
                double[] m = new double[units];
                double scale = network.dataType() == DataType.FLOAT ? (float) (1.0 / (1.0 - pw)) : 1.0 / (1.0 - pw);
                for (int k = 0; k < units; k++) {
                    m[k] = ((bits[k >>> 6] >>> k) & 1L) != 0 ? 0.0 : scale;
                }
                weightMasks.add(Nd4j.create(m, new long[] {layer.inputs(), layer.outputs()}, network.dataType()));
            }
            double[][] sc = network.forward(x, masks, weightMasks, false).scores().castTo(DataType.DOUBLE)
                    .toDoubleMatrix();
            for (int b = 0; b < rows; b++) {
                scores[b][s] = sc[b];
                Probabilities.softmax(sc[b], probs[b][s]);
            }
        }
        return MonteCarloPredictorTest.summarise(probs, scores, samples);
    }

    /** Seeded weight masks that count their draws and remember each (sample, layer) they were asked for. */
    static final class CountingWeightMasks implements WeightMaskSource {
        final AtomicInteger calls = new AtomicInteger();
        final Map<String, Boolean> seen = new ConcurrentHashMap<>();
        private final WeightMaskSource seeded;

        CountingWeightMasks(long seed) {
            this.seeded = WeightMaskSource.seeded(seed);
        }

        @Override
        public void fill(long[] dropped, int units, long sample, int layer, double p) {
            calls.incrementAndGet();
            seen.put(sample + "/" + layer, true);
            seeded.fill(dropped, units, sample, layer, p);
        }
    }
}
