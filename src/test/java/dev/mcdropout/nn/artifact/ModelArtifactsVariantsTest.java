package dev.mcdropout.nn.artifact;

import static dev.mcdropout.nn.artifact.ArtifactFixtures.JSON;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.artifact;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.variantNetwork;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Uncertainty;
import dev.mcdropout.nn.artifact.ArtifactFixtures.Unpacked;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * formatVersion 2: DropConnect flags and batch norm arrays round-trip bit for bit, version 1 archives still
 * load, and every new part is checked as strictly as the old ones (allow-listed names, hashes, shapes, finite
 * values).
 */
class ModelArtifactsVariantsTest {

    private final Network network = variantNetwork(DataType.FLOAT, 42);
    private final byte[] archive = ModelArtifacts.toBytes(artifact(network));

    @Test
    void dropConnectAndBatchNormRoundTripBitForBitAndPredictTheSame() {
        ModelArtifact read = ModelArtifacts.read(archive, ArtifactLimits.DEFAULTS);
        ArtifactFixtures.assertSameNetwork(network, read.network());
        assertArrayEquals(archive, ModelArtifacts.toBytes(read), "written again: the same bytes");
        double[][] rows = ArtifactFixtures.rows(6, 5, 3L);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            for (int samples : new int[] {0, 20}) {
                List<Uncertainty> before = predictor.predict(network, rows, samples, 9L, true);
                List<Uncertainty> after = predictor.predict(read.network(), rows, samples, 9L, true);
                for (int r = 0; r < rows.length; r++) {
                    assertArrayEquals(before.get(r).scoresMean(), after.get(r).scoresMean(), 0.0);
                    assertArrayEquals(before.get(r).std(), after.get(r).std(), 0.0);
                }
            }
        }
    }

    @Test
    void modelJsonDescribesBothVariantsInFormatVersion2() {
        JsonNode model = new Unpacked(archive).model;
        assertEquals(2, model.get("formatVersion").intValue());
        JsonNode first = model.get("layers").get(0);
        assertTrue(first.get("dropConnect").booleanValue());
        JsonNode bn = first.get("batchNorm");
        assertEquals("layer0.gamma.npy", bn.get("gamma").stringValue());
        assertEquals("layer0.beta.npy", bn.get("beta").stringValue());
        assertEquals("layer0.runningMean.npy", bn.get("runningMean").stringValue());
        assertEquals("layer0.runningVar.npy", bn.get("runningVar").stringValue());
        assertEquals(1e-5, bn.get("epsilon").doubleValue());
        assertFalse(model.get("layers").get(1).get("dropConnect").booleanValue());
        assertEquals(1e-3, model.get("layers").get(1).get("batchNorm").get("epsilon").doubleValue());
        JsonNode output = model.get("layers").get(2);
        assertFalse(output.get("dropConnect").booleanValue());
        assertNull(output.get("batchNorm"));
        assertEquals(List.of("model.json", "layer0.weights.npy", "layer0.bias.npy", "layer0.gamma.npy",
                        "layer0.beta.npy", "layer0.runningMean.npy", "layer0.runningVar.npy", "layer1.weights.npy",
                        "layer1.bias.npy", "layer1.gamma.npy", "layer1.beta.npy", "layer1.runningMean.npy",
                        "layer1.runningVar.npy", "layer2.weights.npy", "layer2.bias.npy"),
                List.copyOf(ArtifactFixtures.unzip(archive).keySet()));
        assertEquals(14, model.get("sha256").size());
    }

    @Test
    void aFormatVersion1ArchiveStillLoads() {
        // What this service wrote before version 2: no dropConnect, no batchNorm fields.
        Unpacked v1 = new Unpacked(ModelArtifacts.toBytes(artifact()));
        v1.model.put("formatVersion", 1);
        v1.model.get("layers").forEach(layer -> ((ObjectNode) layer).remove("dropConnect"));
        ModelArtifact read = ModelArtifacts.read(v1.zip(), ArtifactLimits.DEFAULTS);
        ArtifactFixtures.assertSameNetwork(artifact().network(), read.network());
        assertFalse(read.network().hasDropConnect());
        assertFalse(read.network().hasBatchNorm());
    }

    @Test
    void formatVersion1KnowsNeitherVariant() {
        Unpacked v1 = new Unpacked(ModelArtifacts.toBytes(artifact()));
        v1.model.put("formatVersion", 1);
        assertRefused(v1.zip(), "layers[0] has an unknown field 'dropConnect'");
        Unpacked v3 = new Unpacked(archive);
        v3.model.put("formatVersion", 3);
        assertRefused(v3.zip(), "formatVersion 3 is not supported; this service reads formatVersion 1 and 2");
    }

    @Test
    void batchNormArraysAreCheckedLikeWeights() {
        Unpacked changed = new Unpacked(archive);
        changed.entries.get("layer1.beta.npy")[changed.entries.get("layer1.beta.npy").length - 1] ^= 1;
        assertRefused(changed.zip(), "layer 1 batchNorm.beta: sha256 mismatch for 'layer1.beta.npy'");

        assertRefused(new Unpacked(archive).putAndRehash("layer0.gamma.npy", Npy.write(new float[6], 6)).zip(),
                "layer 0 batchNorm.gamma: shape (6,) does not match the 7 outputs of the layer's weights");
        float[] nan = new float[7];
        nan[3] = Float.NaN;
        assertRefused(new Unpacked(archive).putAndRehash("layer0.runningMean.npy", Npy.write(nan, 7)).zip(),
                "layer 0 batchNorm.runningMean: value at [3] is NaN");
        float[] negative = {1, 1, 1, -0.5f};
        assertRefused(new Unpacked(archive).putAndRehash("layer1.runningVar.npy", Npy.write(negative, 4)).zip(),
                "layer 1 batchNorm.runningVar: value at [3] is -0.5; a variance cannot be negative");
        assertRefused(new Unpacked(archive).putAndRehash("layer1.gamma.npy", Npy.write(new float[4 * 4], 4, 4)).zip(),
                "layer 1 batchNorm.gamma: shape (4, 4) does not match");
    }

    @Test
    void batchNormFieldsAreAllowListed() {
        for (Object epsilon : new Object[] {0.0, -1e-5, 2.0, "1e-5"}) {
            Unpacked u = new Unpacked(archive);
            ObjectNode bn = (ObjectNode) u.layer(0).get("batchNorm");
            if (epsilon instanceof String text) {
                bn.put("epsilon", text);
            } else {
                bn.put("epsilon", (Double) epsilon);
            }
            assertRefused(u.zip(), "layers[0].batchNorm.epsilon must be a number in (0, 1]");
        }
        Unpacked unknown = new Unpacked(archive);
        ((ObjectNode) unknown.layer(0).get("batchNorm")).put("momentum", 0.1);
        assertRefused(unknown.zip(), "layers[0].batchNorm has an unknown field 'momentum'");
        Unpacked missing = new Unpacked(archive);
        ((ObjectNode) missing.layer(1).get("batchNorm")).remove("runningVar");
        assertRefused(missing.zip(), "layers[1].batchNorm needs the field \"runningVar\"");
        Unpacked twice = new Unpacked(archive);
        ((ObjectNode) twice.layer(1).get("batchNorm")).put("beta", "layer1.gamma.npy");
        assertRefused(twice.zip(), "'layer1.gamma.npy' is named twice in model.json");
        Unpacked path = new Unpacked(archive);
        ((ObjectNode) path.layer(0).get("batchNorm")).put("gamma", "../gamma.npy");
        assertRefused(path.zip(), "is not an allowed file name");
        Unpacked notObject = new Unpacked(archive);
        notObject.layer(0).put("batchNorm", true);
        assertRefused(notObject.zip(), "layers[0].batchNorm must be an object");
        Unpacked flag = new Unpacked(archive);
        flag.layer(0).put("dropConnect", "yes");
        assertRefused(flag.zip(), "layers[0].dropConnect must be true or false");
    }

    @Test
    void anArrayNoLayerNamesIsRefusedAndSoIsAMissingOne() {
        Unpacked orphan = new Unpacked(archive);
        ((ObjectNode) orphan.layer(1)).remove("batchNorm");
        assertRefused(orphan.zip(), "sha256 lists 'layer1.gamma.npy', which no layer uses");
        Unpacked gone = new Unpacked(archive);
        gone.entries.remove("layer0.runningVar.npy");
        assertRefused(gone.zip(), "layer 0 batchNorm.runningVar: file 'layer0.runningVar.npy' is missing");
    }

    @Test
    void theOutputLayerTakesNeitherVariant() {
        Unpacked dropConnect = new Unpacked(archive);
        dropConnect.layer(2).put("dropConnect", true);
        assertRefused(dropConnect.zip(), "layers[2] is the output layer: it takes neither dropConnect nor batchNorm");
        Unpacked batchNorm = new Unpacked(archive);
        batchNorm.layer(2).set("batchNorm", batchNorm.layer(1).get("batchNorm").deepCopy());
        assertRefused(batchNorm.zip(), "'layer1.gamma.npy' is named twice");
    }

    @Test
    void aNumpyMadeBatchNormArchiveLoadsAndPredictsWhatNumpyComputed() throws IOException {
        ModelArtifact artifact;
        try (InputStream in = getClass().getResourceAsStream("/artifacts/numpy-bn-net.zip")) {
            artifact = ModelArtifacts.read(in, ArtifactLimits.DEFAULTS);
        }
        Network read = artifact.network();
        assertTrue(read.hasBatchNorm());
        assertTrue(read.hasDropConnect());
        List<Layer> layers = read.layers();
        assertEquals(List.of(false, true, false), layers.stream().map(Layer::dropConnect).toList());
        assertEquals(1e-3, layers.get(1).batchNorm().epsilon());
        assertNull(layers.get(2).batchNorm());
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/artifacts/numpy-bn-net.expected.json")) {
            expected = JSON.readTree(in.readAllBytes());
        }
        double[][] rows = JSON.treeToValue(expected.get("rows"), double[][].class);
        double[][] scores = JSON.treeToValue(expected.get("scores"), double[][].class);
        double[][] probabilities = JSON.treeToValue(expected.get("probabilities"), double[][].class);
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1)) {
            List<Uncertainty> served = predictor.predict(read, rows, 0, 1L, true);
            for (int r = 0; r < rows.length; r++) {
                // numpy computed in float64 from the stored float32 values; the service computes in float32.
                assertArrayEquals(scores[r], served.get(r).scoresMean(), 1e-4 * Math.max(1, Math.abs(scores[r][0])),
                        "scores of row " + r);
                assertArrayEquals(probabilities[r], served.get(r).mean(), 1e-5, "probabilities of row " + r);
            }
            // And it serves Monte Carlo passes (DropConnect on layer 1, dropout elsewhere).
            List<Uncertainty> sampled = predictor.predict(read, rows, 50, 1L, false);
            assertTrue(sampled.get(1).std()[0] > 0);
        }
    }

    private static void assertRefused(byte[] zip, String expectedMessagePart) {
        String message = assertThrows(InvalidArtifactException.class,
                () -> ModelArtifacts.read(zip, ArtifactLimits.DEFAULTS)).getMessage();
        assertTrue(message.contains(expectedMessagePart), "expected '" + expectedMessagePart + "' in: " + message);
    }
}
