package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Backprop's analytic gradients for DropConnect (fixed weight masks) and batch norm (batch statistics) agree with
 * central differences of the full objective (mean cross-entropy plus {@code (l2 / 2) sum W^2}) for every weight,
 * bias, gamma and beta of a network with three hidden layers, in DOUBLE, within a relative error of 1e-6.
 *
 * <p>One exception, by the mathematics: with batch statistics a batch-normalised layer's bias is subtracted again
 * with the batch mean, so the objective does not depend on it and both gradients are 0 (Backprop returns exact
 * zeros; the central difference is rounding noise, checked to be below 1e-8). The biases of the other layers,
 * including a hidden layer without batch norm in the mixed network, are checked like every other parameter.
 */
class VariantGradientCheckTest {

    private static int threadsBefore;

    /** Many small native ops: one OpenMP thread, as in TrainerTest, so a busy machine cannot stall them. */
    @org.junit.jupiter.api.BeforeAll
    static void oneNativeThread() {
        threadsBefore = NativeThreads.blasThreads();
        NativeThreads.set(1);
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreThreads() {
        NativeThreads.set(Math.max(1, threadsBefore));
    }

    private static final int[] SIZES = {6, 7, 5, 6, 4};
    private static final double L2 = 0.03;
    private static final int ROWS = 9;
    private static final double H = 1e-5;

    /** Per hidden layer: DropConnect, batch norm; and the dropout probability of each site / layer. */
    enum Variant {
        DROP_CONNECT(new boolean[] {true, true, true}, new boolean[] {false, false, false},
                new double[] {0.2, 0.5, 0.3, 0.4}),
        BATCH_NORM(new boolean[] {false, false, false}, new boolean[] {true, true, true},
                new double[] {0.2, 0.5, 0.3, 0.4}),
        BATCH_NORM_WITH_DROP_CONNECT(new boolean[] {false, true, true}, new boolean[] {true, false, true},
                new double[] {0.2, 0.5, 0.3, 0.4});

        final boolean[] dropConnect;
        final boolean[] batchNorm;
        /** [0]: inputDropout; [i + 1]: hidden layer i's dropout (of its units, or of its weights with DropConnect). */
        final double[] dropout;

        Variant(boolean[] dropConnect, boolean[] batchNorm, double[] dropout) {
            this.dropConnect = dropConnect;
            this.batchNorm = batchNorm;
            this.dropout = dropout;
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void everyAnalyticGradientMatchesCentralDifferencesWithinOneInAMillion(Variant variant) {
        SplittableRandom random = new SplittableRandom(20130616);
        int hidden = SIZES.length - 2;
        // Per layer: W, b, then gamma and beta where the layer has batch norm.
        List<double[]> params = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i + 1 < SIZES.length; i++) {
            params.add(gaussians(random, SIZES[i] * SIZES[i + 1], Math.sqrt(2.0 / SIZES[i])));
            names.add("W" + i);
            params.add(gaussians(random, SIZES[i + 1], 0.1));
            names.add("b" + i);
            if (i < hidden && variant.batchNorm[i]) {
                double[] gamma = gaussians(random, SIZES[i + 1], 0.2);
                for (int j = 0; j < gamma.length; j++) {
                    gamma[j] += 1.0;
                }
                params.add(gamma);
                names.add("gamma" + i);
                params.add(gaussians(random, SIZES[i + 1], 0.3));
                names.add("beta" + i);
            }
        }
        INDArray x = Nd4j.create(gaussians(random, ROWS * SIZES[0], 1.0), new long[] {ROWS, SIZES[0]}, DataType.DOUBLE);
        int[] labels = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            labels[i] = random.nextInt(SIZES[SIZES.length - 1]);
        }
        Network network = network(params, variant);
        List<INDArray> masks = new ArrayList<>();
        List<INDArray> weightMasks = new ArrayList<>();
        for (int i = 0; i < network.layerCount(); i++) {
            masks.add(Dropout.scaledMask(99, 3, i, ROWS, SIZES[i], network.dropoutAt(i), DataType.DOUBLE));
            weightMasks.add(Dropout.scaledMask(99, 3, Dropout.weightSite(i), SIZES[i], SIZES[i + 1],
                    network.weightDropoutAt(i), DataType.DOUBLE));
        }
        for (int i = 0; i < hidden; i++) {
            assertEquals(variant.dropConnect[i], weightMasks.get(i) != null, "weight mask of layer " + i);
            assertEquals(!variant.dropConnect[i], masks.get(i + 1) != null, "unit mask after layer " + i);
        }

        ForwardPass pass = network.forward(x, masks, weightMasks, true);
        Gradients analytic = Backprop.gradients(network, pass, Loss.crossEntropy(pass.scores(), labels).dscores(), L2);
        List<INDArray> analyticList = analytic.interleaved();
        assertEquals(params.size(), analyticList.size());

        int checked = 0;
        int zero = 0;
        double worst = 0.0;
        for (int k = 0; k < params.size(); k++) {
            double[] grad = Loss.toDoubles(analyticList.get(k));
            String name = names.get(k);
            boolean normalisedBias = name.matches("b\\d+") && Integer.parseInt(name.substring(1)) < hidden
                    && variant.batchNorm[Integer.parseInt(name.substring(1))];
            for (int j = 0; j < params.get(k).length; j++) {
                double original = params.get(k)[j];
                params.get(k)[j] = original + H;
                double plus = objective(layers(params, variant), x, masks, weightMasks, labels);
                params.get(k)[j] = original - H;
                double minus = objective(layers(params, variant), x, masks, weightMasks, labels);
                params.get(k)[j] = original;
                double numeric = (plus - minus) / (2 * H);
                if (normalisedBias) {
                    assertEquals(0.0, grad[j], 0.0, name + "[" + j + "]: the bias of a batch-normalised layer");
                    assertTrue(Math.abs(numeric) < 1e-8, name + "[" + j + "]: numeric " + numeric);
                    zero++;
                    continue;
                }
                double error = Math.abs(numeric - grad[j]) / Math.max(Math.max(Math.abs(numeric), Math.abs(grad[j])), 1e-7);
                worst = Math.max(worst, error);
                assertTrue(error < 1e-6, name + "[" + j + "]: analytic " + grad[j] + ", numeric " + numeric
                        + ", relative error " + error);
                checked++;
            }
        }
        System.out.printf("gradient check %s: %d parameters, worst relative error %.2e (%d batch-normalised biases "
                + "with zero gradient)%n", variant, checked, worst, zero);
        assertTrue(checked > 150);
    }

    /** The objective on bare layers (the same computation as Network#forward, without building a network). */
    private static double objective(List<Layer> layers, INDArray x, List<INDArray> masks, List<INDArray> weightMasks,
                                    int[] labels) {
        ForwardPass pass = ForwardPass.compute(x, layers, masks, weightMasks, true);
        List<INDArray> weights = layers.stream().map(Layer::weights).toList();
        return Loss.crossEntropy(pass.scores(), labels).loss() + Loss.l2Penalty(weights, L2);
    }

    private static Network network(List<double[]> params, Variant variant) {
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < SIZES[SIZES.length - 1]; c++) {
            classes.add("c" + c);
        }
        return new Network(layers(params, variant), variant.dropout[0], Standardization.identity(SIZES[0]), classes);
    }

    private static List<Layer> layers(List<double[]> params, Variant variant) {
        List<Layer> layers = new ArrayList<>();
        int k = 0;
        for (int i = 0; i + 1 < SIZES.length; i++) {
            boolean output = i + 2 == SIZES.length;
            INDArray w = Nd4j.create(params.get(k++), new long[] {SIZES[i], SIZES[i + 1]}, DataType.DOUBLE);
            INDArray b = Nd4j.create(params.get(k++), new long[] {1, SIZES[i + 1]}, DataType.DOUBLE);
            BatchNorm bn = null;
            if (!output && variant.batchNorm[i]) {
                bn = new BatchNorm(Nd4j.create(params.get(k++), new long[] {1, SIZES[i + 1]}, DataType.DOUBLE),
                        Nd4j.create(params.get(k++), new long[] {1, SIZES[i + 1]}, DataType.DOUBLE),
                        Nd4j.zeros(DataType.DOUBLE, 1, SIZES[i + 1]), Nd4j.ones(DataType.DOUBLE, 1, SIZES[i + 1]),
                        BatchNorm.DEFAULT_EPSILON);
            }
            layers.add(new Layer(w, b, output ? Activation.LINEAR : Activation.RELU,
                    output ? 0.0 : variant.dropout[i + 1], !output && variant.dropConnect[i], bn));
        }
        return layers;
    }

    private static double[] gaussians(SplittableRandom random, int n, double sigma) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            v[i] = sigma * Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
        }
        return v;
    }
}
