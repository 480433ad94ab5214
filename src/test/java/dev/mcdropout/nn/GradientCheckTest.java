package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Backprop's analytic gradients agree with central differences of the full objective (mean cross-entropy
 * plus {@code (l2 / 2) sum W^2}) for every parameter of a network with three hidden layers, fixed dropout
 * masks on the input and every hidden layer, in DOUBLE.
 */
class GradientCheckTest {

    private static final int[] SIZES = {6, 7, 5, 6, 4};
    private static final double[] SITE_DROPOUT = {0.2, 0.5, 0.3, 0.4};
    private static final double L2 = 0.03;
    private static final int ROWS = 9;
    private static final double H = 1e-5;

    @Test
    void everyAnalyticGradientMatchesCentralDifferencesWithinOneInAMillion() {
        SplittableRandom random = new SplittableRandom(20150706);
        List<double[]> params = new ArrayList<>();
        for (int i = 0; i + 1 < SIZES.length; i++) {
            params.add(gaussians(random, SIZES[i] * SIZES[i + 1], Math.sqrt(2.0 / SIZES[i])));
            params.add(gaussians(random, SIZES[i + 1], 0.1));
        }
        INDArray x = Nd4j.create(gaussians(random, ROWS * SIZES[0], 1.0), new long[] {ROWS, SIZES[0]}, DataType.DOUBLE);
        int[] labels = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            labels[i] = random.nextInt(SIZES[SIZES.length - 1]);
        }
        List<INDArray> masks = new ArrayList<>();
        for (int site = 0; site < SITE_DROPOUT.length; site++) {
            masks.add(Dropout.scaledMask(99, 3, site, ROWS, SIZES[site], SITE_DROPOUT[site], DataType.DOUBLE));
        }

        Network network = network(params);
        ForwardPass pass = network.forward(x, masks);
        Gradients analytic = Backprop.gradients(network, pass, Loss.crossEntropy(pass.scores(), labels).dscores(), L2);
        List<INDArray> analyticList = analytic.interleaved();

        int checked = 0;
        double worst = 0.0;
        for (int k = 0; k < params.size(); k++) {
            double[] grad = Loss.toDoubles(analyticList.get(k));
            for (int j = 0; j < params.get(k).length; j++) {
                double original = params.get(k)[j];
                params.get(k)[j] = original + H;
                double plus = objective(network(params), x, masks, labels);
                params.get(k)[j] = original - H;
                double minus = objective(network(params), x, masks, labels);
                params.get(k)[j] = original;
                double numeric = (plus - minus) / (2 * H);
                double error = Math.abs(numeric - grad[j]) / Math.max(Math.max(Math.abs(numeric), Math.abs(grad[j])), 1e-7);
                worst = Math.max(worst, error);
                assertTrue(error < 1e-6, "parameter array " + k + " entry " + j + ": analytic " + grad[j]
                        + ", numeric " + numeric + ", relative error " + error);
                checked++;
            }
        }
        System.out.printf("gradient check: %d parameters, worst relative error %.2e%n", checked, worst);
        assertTrue(checked > 150);
    }

    private static double objective(Network network, INDArray x, List<INDArray> masks, int[] labels) {
        ForwardPass pass = network.forward(x, masks);
        List<INDArray> weights = network.layers().stream().map(Layer::weights).toList();
        return Loss.crossEntropy(pass.scores(), labels).loss() + Loss.l2Penalty(weights, L2);
    }

    private static Network network(List<double[]> params) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i + 1 < SIZES.length; i++) {
            boolean output = i + 2 == SIZES.length;
            layers.add(new Layer(Nd4j.create(params.get(2 * i), new long[] {SIZES[i], SIZES[i + 1]}, DataType.DOUBLE),
                    Nd4j.create(params.get(2 * i + 1), new long[] {1, SIZES[i + 1]}, DataType.DOUBLE),
                    output ? Activation.LINEAR : Activation.RELU, output ? 0.0 : SITE_DROPOUT[i + 1]));
        }
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < SIZES[SIZES.length - 1]; c++) {
            classes.add("c" + c);
        }
        return new Network(layers, SITE_DROPOUT[0], Standardization.identity(SIZES[0]), classes);
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
