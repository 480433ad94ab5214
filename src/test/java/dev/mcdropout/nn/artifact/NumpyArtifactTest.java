package dev.mcdropout.nn.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import dev.mcdropout.nn.Activation;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tools.jackson.databind.JsonNode;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * An archive written by hand in numpy (src/test/resources/artifacts/make_numpy_artifact.py): float64 arrays,
 * one in Fortran order, one .npy of format 2.0, deflated entries, its own file names. The reader must load
 * it and predict what numpy computed.
 */
class NumpyArtifactTest {

    private static ModelArtifact load() throws IOException {
        try (InputStream in = NumpyArtifactTest.class.getResourceAsStream("/artifacts/numpy-net.zip")) {
            return ModelArtifacts.read(in, ArtifactLimits.DEFAULTS);
        }
    }

    private static JsonNode expected() throws IOException {
        try (InputStream in = NumpyArtifactTest.class.getResourceAsStream("/artifacts/numpy-net.expected.json")) {
            return JSON.readTree(in.readAllBytes());
        }
    }

    @Test
    void aNumpyMadeArchiveLoadsWithItsDescription() throws IOException {
        ModelArtifact artifact = load();
        Network network = artifact.network();

        assertEquals(List.of("setosa", "versicolor", "virginica"), network.classes());
        assertEquals(DataType.FLOAT, network.dataType());
        assertEquals(0.1, network.inputDropout());
        List<Layer> layers = network.layers();
        assertEquals(List.of(Activation.RELU, Activation.RELU, Activation.LINEAR),
                layers.stream().map(Layer::activation).toList());
        assertEquals(List.of(0.5, 0.25, 0.0), layers.stream().map(Layer::dropout).toList());
        assertEquals(List.of(4, 6, 5), layers.stream().map(Layer::inputs).toList());
        assertArrayEquals(new double[] {5.8, 3.0, 3.7, 1.2}, network.standardization().mean());
        assertArrayEquals(new double[] {0.8, 0.45, 1.75, 0.75}, network.standardization().std());
        assertEquals(Instant.parse("2026-11-30T00:00:00Z"), artifact.createdAt());
        assertEquals(Map.of("framework", "numpy", "epochs", 10, "learningRate", 0.01), artifact.hyperparameters());
        assertEquals(Map.of("accuracy", 0.9), artifact.metrics());
        assertNull(artifact.history());
    }

    @Test
    void aNumpyMadeArchivePredictsWhatNumpyComputed() throws IOException {
        Network network = load().network();
        JsonNode expected = expected();
        double[][] rows = JSON.treeToValue(expected.get("rows"), double[][].class);
        double[][] scores = JSON.treeToValue(expected.get("scores"), double[][].class);
        double[][] probabilities = JSON.treeToValue(expected.get("probabilities"), double[][].class);

        INDArray x = network.toMatrix(rows);
        double[][] actualScores = network.scores(x).toDoubleMatrix();
        double[][] actualProbabilities = network.probabilities(x).toDoubleMatrix();

        // numpy computed in float64; the archive's weights become float32, hence 1e-4 and not 1e-9.
        for (int r = 0; r < rows.length; r++) {
            assertArrayEquals(scores[r], actualScores[r], 1e-4, "scores of row " + r);
            assertArrayEquals(probabilities[r], actualProbabilities[r], 1e-5, "probabilities of row " + r);
        }
    }

    @Test
    void aNumpyMadeArchiveWrittenAgainInOurFormatGivesTheSameNetwork() throws IOException {
        ModelArtifact numpy = load();
        ModelArtifact again = ModelArtifacts.read(ModelArtifacts.toBytes(numpy), ArtifactLimits.DEFAULTS);

        ArtifactFixtures.assertSameNetwork(numpy.network(), again.network());
        assertEquals(numpy.hyperparameters(), again.hyperparameters());
    }
}
