package dev.mcdropout.nn;

import static dev.mcdropout.nn.NdAssert.assertClose;
import static dev.mcdropout.nn.NdAssert.assertIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The engine reproduces the seed tutorial's forward pass, loss and gradients, number for number. */
class SeedFixtureBackpropTest {

    private static SeedFixture fixture;

    @BeforeAll
    static void loadFixture() {
        fixture = SeedFixture.load();
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void trainingForwardPassWithTheTutorialsMasksReproducesItsActivations(Precision precision) {
        DataType type = precision.type;
        ForwardPass pass = fixture.network(type).forward(fixture.x(type), fixture.trainMasks(type));
        double tol = precision.tolerance;
        assertClose(fixture.array(type, "train", "z1"), pass.preActivations().get(0), tol, "z1");
        assertClose(fixture.array(type, "train", "hiddenAfterDropout"), pass.inputs().get(1), tol, "hidden after dropout");
        assertClose(fixture.array(type, "train", "scores"), pass.scores(), tol, "scores");
        assertClose(fixture.array(type, "train", "probabilities"), Network.softmax(pass.scores()), tol, "probabilities");
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void testModeForwardPassNeitherDropsNorScales(Precision precision) {
        DataType type = precision.type;
        Network network = fixture.network(type);
        assertClose(fixture.array(type, "test", "scores"), network.scores(fixture.x(type)), precision.tolerance,
                "test scores");
        assertClose(fixture.array(type, "test", "probabilities"), network.probabilities(fixture.x(type)),
                precision.tolerance, "test probabilities");
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void lossAndDscoresMatchTheTutorial(Precision precision) {
        DataType type = precision.type;
        ForwardPass pass = fixture.network(type).forward(fixture.x(type), fixture.trainMasks(type));
        Loss.Result loss = Loss.crossEntropy(pass.scores(), fixture.labels());
        assertEquals(fixture.scalar("train", "loss"), loss.loss(), precision.tolerance);
        assertClose(fixture.array(type, "train", "dscores"), loss.dscores(), precision.tolerance, "dscores");
        assertClose(fixture.array(type, "train", "probabilities"), loss.probabilities(), precision.tolerance,
                "probabilities");
        assertEquals(type, loss.dscores().dataType());
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void allFourGradientsMatchTheTutorial(Precision precision) {
        DataType type = precision.type;
        Network network = fixture.network(type);
        ForwardPass pass = network.forward(fixture.x(type), fixture.trainMasks(type));
        Gradients grads = Backprop.gradients(network, pass, Loss.crossEntropy(pass.scores(), fixture.labels()).dscores(),
                0.0);
        double tol = precision.tolerance;
        assertClose(fixture.array(type, "train", "grads", "W1"), grads.weights().get(0), tol, "dW1");
        assertClose(fixture.array(type, "train", "grads", "b1"), grads.biases().get(0), tol, "db1");
        assertClose(fixture.array(type, "train", "grads", "W2"), grads.weights().get(1), tol, "dW2");
        assertClose(fixture.array(type, "train", "grads", "b2"), grads.biases().get(1), tol, "db2");
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void l2AddsL2TimesTheWeightsToWeightGradientsOnly(Precision precision) {
        DataType type = precision.type;
        Network network = fixture.network(type);
        ForwardPass pass = network.forward(fixture.x(type), fixture.trainMasks(type));
        INDArray dscores = Loss.crossEntropy(pass.scores(), fixture.labels()).dscores();
        double l2 = 0.25;
        Gradients plain = Backprop.gradients(network, pass, dscores, 0.0);
        Gradients regularised = Backprop.gradients(network, pass, dscores, l2);
        for (int i = 0; i < 2; i++) {
            INDArray expected = plain.weights().get(i).add(network.layers().get(i).weights().mul(l2));
            assertClose(expected, regularised.weights().get(i), precision.tolerance, "dW" + (i + 1));
            assertIdentical(plain.biases().get(i), regularised.biases().get(i), "db" + (i + 1));
        }
        double sumOfSquares = 0.0;
        for (Layer layer : network.layers()) {
            for (double w : Loss.toDoubles(layer.weights())) {
                sumOfSquares += w * w;
            }
        }
        List<INDArray> weights = network.layers().stream().map(Layer::weights).toList();
        assertEquals(0.5 * l2 * sumOfSquares, Loss.l2Penalty(weights, l2), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void trainersOwnParameterCopyComputesExactlyWhatTheNetworkComputes(Precision precision) {
        DataType type = precision.type;
        Network network = fixture.network(type);
        Parameters params = Parameters.copyOf(network);
        List<INDArray> masks = fixture.trainMasks(type);
        ForwardPass expected = network.forward(fixture.x(type), masks);
        ForwardPass actual = params.forward(fixture.x(type), masks);
        assertIdentical(expected.scores(), actual.scores(), "scores");
        INDArray dscores = Loss.crossEntropy(expected.scores(), fixture.labels()).dscores();
        Gradients fromNetwork = Backprop.gradients(network, expected, dscores, 0.1);
        Gradients fromParams = Backprop.gradients(params.layers(), actual, dscores, 0.1);
        for (int i = 0; i < 2; i++) {
            assertIdentical(fromNetwork.weights().get(i), fromParams.weights().get(i), "dW" + i);
            assertIdentical(fromNetwork.biases().get(i), fromParams.biases().get(i), "db" + i);
        }
        Network rebuilt = params.toNetwork();
        for (int i = 0; i < 2; i++) {
            assertIdentical(network.layers().get(i).weights(), rebuilt.layers().get(i).weights(), "W" + i);
            assertIdentical(network.layers().get(i).bias(), rebuilt.layers().get(i).bias(), "b" + i);
        }
        assertArrayEquals(Loss.toDoubles(Parameters.flatten(fromNetwork.interleaved())),
                Loss.toDoubles(Parameters.flatten(fromParams.interleaved())), 0.0);
    }
}
