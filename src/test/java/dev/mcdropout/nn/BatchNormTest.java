package dev.mcdropout.nn;

import static dev.mcdropout.nn.MonteCarloPredictorTest.assertWithinRounding;
import static dev.mcdropout.nn.MonteCarloPredictorTest.rows;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalisation (Ioffe and Szegedy 2015): prediction mode against the formula worked by hand, training
 * mode's batch statistics, the folded weights the Monte Carlo passes use, and how the trainer keeps the running
 * statistics.
 */
class BatchNormTest {

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

    private static final int IN = 5;
    private static final int HIDDEN = 4;
    private static final int OUT = 3;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void predictionModeIsTheHandComputedFormula(Precision precision) {
        Random random = new Random(42);
        double[][] w = gaussian(random, IN, HIDDEN);
        double[] b = gaussian(random, 1, HIDDEN)[0];
        double[] gamma = {1.5, 0.5, -0.8, 2.0};
        double[] beta = {0.1, -0.4, 0.3, 0.0};
        double[] mu = {0.7, -1.2, 0.05, 2.5};
        double[] var = {0.9, 4.0, 0.01, 0.0};
        double epsilon = 1e-3;
        double[][] w2 = gaussian(random, HIDDEN, OUT);
        double[] b2 = gaussian(random, 1, OUT)[0];
        Network network = network(precision.type, w, b, gamma, beta, mu, var, epsilon, w2, b2, 0.0, 0.0);
        double[][] x = gaussian(random, 6, IN);

        // By hand, in double: z = x W + b, y = (z - mu) / sqrt(var + eps) * gamma + beta, relu, then the output.
        double[][] expectedY = new double[x.length][HIDDEN];
        double[][] expectedScores = new double[x.length][OUT];
        for (int r = 0; r < x.length; r++) {
            double[] h = new double[HIDDEN];
            for (int j = 0; j < HIDDEN; j++) {
                double z = b[j];
                for (int i = 0; i < IN; i++) {
                    z += x[r][i] * w[i][j];
                }
                expectedY[r][j] = (z - mu[j]) / Math.sqrt(var[j] + epsilon) * gamma[j] + beta[j];
                h[j] = Math.max(0.0, expectedY[r][j]);
            }
            for (int c = 0; c < OUT; c++) {
                double s = b2[c];
                for (int j = 0; j < HIDDEN; j++) {
                    s += h[j] * w2[j][c];
                }
                expectedScores[r][c] = s;
            }
        }
        double tolerance = precision.tolerance * 10;
        INDArray input = Nd4j.create(x).castTo(precision.type);
        ForwardPass pass = network.forward(input, null);
        double[][] y = pass.preActivations().get(0).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] scores = network.scores(input).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] folded = network.folded().scores(input).castTo(DataType.DOUBLE).toDoubleMatrix();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            List<Uncertainty> served = predictor.predict(network, x, 0, 1L, true);
            // No dropout anywhere: the Monte Carlo passes (on the folded weights) are all the test-mode pass.
            List<Uncertainty> sampled = predictor.predict(network, x, 5, 1L, true);
            for (int r = 0; r < x.length; r++) {
                assertArrayEquals(expectedY[r], y[r], tolerance, "batch norm output of row " + r);
                assertArrayEquals(expectedScores[r], scores[r], tolerance, "scores of row " + r);
                assertArrayEquals(expectedScores[r], folded[r], tolerance, "folded scores of row " + r);
                assertArrayEquals(expectedScores[r], served.get(r).scoresMean(), tolerance, "served row " + r);
                assertArrayEquals(expectedScores[r], sampled.get(r).scoresMean(), tolerance, "sampled row " + r);
            }
        }
    }

    @Test
    void trainingModeNormalisesWithTheBatchsOwnMeanAndVariance() {
        Random random = new Random(7);
        Network network = network(DataType.DOUBLE, gaussian(random, IN, HIDDEN), new double[HIDDEN],
                new double[] {1, 1, 1, 1}, new double[HIDDEN], new double[] {5, 5, 5, 5}, new double[] {9, 9, 9, 9},
                1e-5, gaussian(random, HIDDEN, OUT), new double[OUT], 0.0, 0.0);
        double[][] x = gaussian(random, 50, IN);
        ForwardPass pass = network.forward(Nd4j.create(x), null, null, true);
        double[][] y = pass.preActivations().get(0).toDoubleMatrix();
        for (int j = 0; j < HIDDEN; j++) {
            double mean = 0;
            double square = 0;
            for (double[] row : y) {
                mean += row[j] / y.length;
                square += row[j] * row[j] / y.length;
            }
            double variance = square - mean * mean;
            double batchVariance = pass.batchNorm().get(0).variance().getDouble(0, j);
            assertEquals(0.0, mean, 1e-12, "unit " + j);
            assertEquals(batchVariance / (batchVariance + 1e-5), variance, 1e-12, "unit " + j);
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void monteCarloPassesOnTheFoldedWeightsMatchAPlainLoopWithBatchNormInPredictionMode(Precision precision) {
        Random random = new Random(3);
        Network network = network(precision.type, gaussian(random, IN, HIDDEN), gaussian(random, 1, HIDDEN)[0],
                new double[] {1.2, 0.7, 1.0, 0.4}, new double[] {0.2, -0.1, 0.0, 0.3}, new double[] {0.3, -0.5, 1, 0},
                new double[] {0.5, 2, 1, 0.2}, 1e-5, gaussian(random, HIDDEN, OUT), gaussian(random, 1, OUT)[0], 0.5,
                0.1);
        double[][] raw = gaussian(random, 7, IN);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            assertWithinRounding(MonteCarloPredictorTest.plainMonteCarlo(network, raw, 30, 9L),
                    predictor.predict(network, raw, 30, 9L, true), precision);
        }
    }

    @Test
    void runningStatisticsTrackThePopulationStatisticsOfTheLinearOutput() {
        // With a learning rate too small to move the weights, the running mean and variance after a few epochs
        // are exponential averages of batch statistics of (nearly) fixed values: they must sit within a few
        // standard errors of the statistics over all training rows. 1792 rows: 28 full batches of 64 an epoch.
        Dataset digits = Datasets.digits().subset(java.util.stream.IntStream.range(0, 1792).boxed().toList());
        double momentum = 0.1;
        int batch = 64;
        TrainingConfig config = new TrainingConfig(List.of(16), List.of(0.0), 0.0, 4, batch, 1e-7, Optimizer.SGD, 0.0,
                0.0, 0.0, 0, 3L, true, DataType.DOUBLE, false, true, momentum, 1e-5);
        Network network = new Trainer().train(digits, config, TrainingListener.NONE, () -> false).network();
        INDArray x = network.standardize(network.toMatrix(digits.rows()));
        Layer hidden = network.layers().get(0);
        double[][] z = x.mmul(hidden.weights()).addiRowVector(hidden.bias()).toDoubleMatrix();
        double[] runningMean = hidden.batchNorm().runningMean().toDoubleVector();
        double[] runningVar = hidden.batchNorm().runningVar().toDoubleVector();
        // The variance of an exponential average of i.i.d. batch means with weight `momentum`.
        double shrink = Math.sqrt(momentum / (2 - momentum));
        for (int j = 0; j < 16; j++) {
            double mean = 0;
            for (double[] row : z) {
                mean += row[j] / z.length;
            }
            double variance = 0;
            for (double[] row : z) {
                variance += (row[j] - mean) * (row[j] - mean) / (z.length - 1);
            }
            double se = Math.sqrt(variance / batch) * shrink;
            assertEquals(mean, runningMean[j], 4 * se, "running mean of unit " + j);
            assertEquals(1.0, runningVar[j] / variance, 0.25, "running variance of unit " + j);
        }
    }

    @Test
    void aLastMiniBatchOfOneRowJoinsTheOneBeforeIt() {
        // 65 rows in batches of 64: a batch of one row would have no variance (its unbiased estimate divides by 0).
        Dataset digits = Datasets.digits();
        Dataset rows = digits.subset(java.util.stream.IntStream.range(0, 65).boxed().toList());
        TrainingConfig config = new TrainingConfig(List.of(8), List.of(0.2), 0.0, 3, 64, 1e-2, Optimizer.ADAM, 0.9,
                0.0, 0.0, 0, 3L, true, DataType.FLOAT, false, true, 0.1, 1e-5);
        Network network = new Trainer().train(rows, config, TrainingListener.NONE, () -> false).network();
        for (double v : network.layers().get(0).batchNorm().runningVar().toDoubleVector()) {
            assertTrue(Double.isFinite(v) && v > 0, "running variance " + v);
        }
    }

    @Test
    void trainingWithDropConnectAndBatchNormIsBitIdenticalForTheSameSeed() {
        Dataset digits = Datasets.digits().subset(java.util.stream.IntStream.range(0, 300).boxed().toList());
        TrainingConfig config = new TrainingConfig(List.of(32, 16), List.of(0.3, 0.2), 0.1, 2, 32, 2e-3,
                Optimizer.ADAM, 0.9, 1e-4, 0.2, 0, 5L, true, DataType.FLOAT, true, true, 0.1, 1e-5);
        Network a = new Trainer().train(digits, config, TrainingListener.NONE, () -> false).network();
        Network b = new Trainer().train(digits, config, TrainingListener.NONE, () -> false).network();
        Network other = new Trainer().train(digits, config.withSeed(6L), TrainingListener.NONE, () -> false).network();
        assertTrue(a.hasDropConnect() && a.hasBatchNorm());
        for (int i = 0; i < a.layerCount(); i++) {
            Layer la = a.layers().get(i);
            Layer lb = b.layers().get(i);
            assertArrayEquals(Loss.toDoubles(la.weights()), Loss.toDoubles(lb.weights()), 0.0, "W" + i);
            assertArrayEquals(Loss.toDoubles(la.bias()), Loss.toDoubles(lb.bias()), 0.0, "b" + i);
            if (la.batchNorm() != null) {
                assertArrayEquals(Loss.toDoubles(la.batchNorm().gamma()), Loss.toDoubles(lb.batchNorm().gamma()), 0.0);
                assertArrayEquals(Loss.toDoubles(la.batchNorm().beta()), Loss.toDoubles(lb.batchNorm().beta()), 0.0);
                assertArrayEquals(Loss.toDoubles(la.batchNorm().runningMean()),
                        Loss.toDoubles(lb.batchNorm().runningMean()), 0.0);
                assertArrayEquals(Loss.toDoubles(la.batchNorm().runningVar()),
                        Loss.toDoubles(lb.batchNorm().runningVar()), 0.0);
            }
        }
        assertTrue(!java.util.Arrays.equals(Loss.toDoubles(a.layers().get(0).weights()),
                Loss.toDoubles(other.layers().get(0).weights())), "another seed trains other weights");
    }

    @Test
    void theOutputLayerTakesNoBatchNorm() {
        Layer hidden = new Layer(Nd4j.ones(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 1, 3), Activation.RELU, 0.0);
        Layer output = new Layer(Nd4j.ones(DataType.FLOAT, 3, 2), Nd4j.zeros(DataType.FLOAT, 1, 2), Activation.LINEAR,
                0.0, false, BatchNorm.initial(2, DataType.FLOAT, 1e-5));
        assertThatThrownBy(() -> new Network(List.of(hidden, output), 0.0, Standardization.identity(2),
                List.of("a", "b"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output layer");
        assertThatThrownBy(() -> BatchNorm.initial(3, DataType.FLOAT, 0.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epsilon");
    }

    private static Network network(DataType type, double[][] w, double[] b, double[] gamma, double[] beta,
                                   double[] mu, double[] var, double epsilon, double[][] w2, double[] b2, double p,
                                   double inputDropout) {
        BatchNorm bn = new BatchNorm(row(gamma, type), row(beta, type), row(mu, type), row(var, type), epsilon);
        Layer hidden = new Layer(Nd4j.create(w).castTo(type), row(b, type), Activation.RELU, p, false, bn);
        Layer output = new Layer(Nd4j.create(w2).castTo(type), row(b2, type), Activation.LINEAR, 0.0);
        return new Network(List.of(hidden, output), inputDropout, Standardization.identity(w.length),
                List.of("x", "y", "z"));
    }

    private static INDArray row(double[] values, DataType type) {
        return Nd4j.create(values, new long[] {1, values.length}, type);
    }

    private static double[][] gaussian(Random random, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return m;
    }
}
