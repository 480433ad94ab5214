package dev.mcdropout.nn.artifact;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.mcdropout.nn.Network;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tools.jackson.databind.JsonNode;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.JSON;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.artifact;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.assertSameNetwork;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.network;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.rows;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.unzip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelArtifactsRoundTripTest {

    @Test
    void aFloatArtifactRoundTripsExactly() {
        ModelArtifact original = artifact();
        ModelArtifact read = ModelArtifacts.read(ModelArtifacts.toBytes(original), ArtifactLimits.DEFAULTS);

        assertSameNetwork(original.network(), read.network());
        assertEquals(original.hyperparameters(), read.hyperparameters());
        assertEquals(original.history(), read.history());
        assertEquals(original.metrics(), read.metrics());
        assertEquals(original.createdAt(), read.createdAt());
        double[][] rows = rows(16, 5, 7);
        assertArrayEquals(original.network().scores(original.network().toMatrix(rows)).toFloatMatrix(),
                read.network().scores(read.network().toMatrix(rows)).toFloatMatrix());
    }

    @Test
    void anArtifactWithoutHistoryOrExtrasRoundTrips() {
        ModelArtifact original = new ModelArtifact(network(DataType.FLOAT, 3), null, null, null,
                java.time.Instant.EPOCH);
        ModelArtifact read = ModelArtifacts.read(ModelArtifacts.toBytes(original), ArtifactLimits.DEFAULTS);

        assertSameNetwork(original.network(), read.network());
        assertNull(read.history());
        assertEquals(Map.of(), read.hyperparameters());
        assertEquals(Map.of(), read.metrics());
        assertEquals(java.time.Instant.EPOCH, read.createdAt());
    }

    @Test
    void readingFromAStreamGivesTheSameArtifact() throws IOException {
        ModelArtifact original = artifact();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelArtifacts.write(original, out);

        ModelArtifact read = ModelArtifacts.read(new ByteArrayInputStream(out.toByteArray()));

        assertSameNetwork(original.network(), read.network());
        assertArrayEquals(ModelArtifacts.toBytes(original), out.toByteArray());
    }

    @Test
    void theSameArtifactGivesTheSameBytes() {
        byte[] first = ModelArtifacts.toBytes(artifact());
        byte[] second = ModelArtifacts.toBytes(artifact());
        byte[] rewritten = ModelArtifacts.toBytes(ModelArtifacts.read(first, ArtifactLimits.DEFAULTS));

        assertArrayEquals(first, second);
        assertArrayEquals(first, rewritten);
    }

    @Test
    void theBytesDoNotDependOnTheTimeZone() {
        TimeZone saved = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
            byte[] utc = ModelArtifacts.toBytes(artifact());
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Chatham"));
            byte[] chatham = ModelArtifacts.toBytes(artifact());
            assertArrayEquals(utc, chatham);
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void theArchiveHoldsModelJsonAndOneNpyFilePerArrayInOrder() {
        Map<String, byte[]> entries = unzip(ModelArtifacts.toBytes(artifact()));

        assertEquals(List.of("model.json", "layer0.weights.npy", "layer0.bias.npy", "layer1.weights.npy",
                "layer1.bias.npy", "layer2.weights.npy", "layer2.bias.npy"), List.copyOf(entries.keySet()));
        JsonNode model = JSON.readTree(entries.get("model.json"));
        assertEquals(2, model.get("formatVersion").intValue());
        assertFalse(model.get("layers").get(0).get("dropConnect").booleanValue());
        assertNull(model.get("layers").get(0).get("batchNorm"));
        assertEquals("relu", model.get("layers").get(0).get("activation").stringValue());
        assertEquals(0.5, model.get("layers").get(0).get("dropout").doubleValue());
        assertEquals("linear", model.get("layers").get(2).get("activation").stringValue());
        assertEquals(5, model.get("standardization").get("mean").size());
        assertEquals("2026-11-30T03:50:02.123456789Z", model.get("createdAt").stringValue());
        assertEquals(ModelArtifacts.sha256(entries.get("layer1.weights.npy")),
                model.get("sha256").get("layer1.weights.npy").stringValue());
        String header = new String(entries.get("layer0.weights.npy"), 10, 118, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 7), }"), header);
        String biasHeader = new String(entries.get("layer0.bias.npy"), 10, 118, StandardCharsets.US_ASCII);
        assertTrue(biasHeader.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }"), biasHeader);
    }

    @Test
    void aNonFiniteMetricIsNotWrittenBecauseJsonHasNoNaN() {
        ModelArtifact nan = new ModelArtifact(network(DataType.FLOAT, 1), Map.of(), null,
                Map.of("testLoss", Double.NaN), java.time.Instant.EPOCH);

        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ModelArtifacts.toBytes(nan));
        assertEquals("metric testLoss is NaN; only finite numbers can be stored", e.getMessage());
    }

    @Test
    void aDoubleNetworkIsStoredAsFloat32() {
        Network doubles = network(DataType.DOUBLE, 42);
        ModelArtifact read = ModelArtifacts.read(ModelArtifacts.toBytes(artifact(doubles)), ArtifactLimits.DEFAULTS);

        assertEquals(DataType.FLOAT, read.network().dataType());
        double[][] expected = doubles.layers().get(1).weights().toDoubleMatrix();
        float[][] actual = read.network().layers().get(1).weights().toFloatMatrix();
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals((float) expected[i][j], actual[i][j]);
            }
        }
        double[][] rows = rows(8, 5, 11);
        double[][] exact = doubles.scores(doubles.toMatrix(rows)).toDoubleMatrix();
        double[][] rounded = read.network().scores(read.network().toMatrix(rows)).toDoubleMatrix();
        for (int r = 0; r < rows.length; r++) {
            assertArrayEquals(exact[r], rounded[r], 1e-5);
        }
    }

    @Test
    void theJavaWriterProducesTheSameNpyBytesAsNumpy() throws IOException {
        byte[] numpy;
        try (var in = getClass().getResourceAsStream("/artifacts/numpy-f4-3x4.npy")) {
            numpy = in.readAllBytes();
        }
        float[] values = new float[12];
        for (int k = 0; k < values.length; k++) {
            values[k] = (k - 5.5f) / 8;
        }
        assertArrayEquals(numpy, Npy.write(values, 3, 4));
    }

    /**
     * Runs the saved arrays through a forward pass written with plain loops and its own .npy parsing, so
     * that the file layout (inputs x outputs, C order, little-endian, (x - mean) / std) is checked against
     * the engine rather than against the reader that shares assumptions with the writer.
     */
    @Test
    void theSavedNpyWeightsGiveTheEnginesScoresInAPlainJavaForwardPass() {
        Network network = network(DataType.FLOAT, 99);
        Map<String, byte[]> entries = unzip(ModelArtifacts.toBytes(artifact(network)));
        JsonNode model = JSON.readTree(entries.get("model.json"));
        double[][] rows = rows(20, 5, 5);

        INDArray engine = network.scores(network.toMatrix(rows));

        JsonNode mean = model.get("standardization").get("mean");
        JsonNode std = model.get("standardization").get("std");
        for (int r = 0; r < rows.length; r++) {
            double[] h = new double[rows[r].length];
            for (int j = 0; j < h.length; j++) {
                h[j] = (rows[r][j] - mean.get(j).doubleValue()) / std.get(j).doubleValue();
            }
            JsonNode layers = model.get("layers");
            for (int l = 0; l < layers.size(); l++) {
                PlainArray w = PlainArray.parse(entries.get(layers.get(l).get("weights").stringValue()));
                PlainArray b = PlainArray.parse(entries.get(layers.get(l).get("bias").stringValue()));
                boolean relu = layers.get(l).get("activation").stringValue().equals("relu");
                double[] next = new double[w.columns];
                for (int o = 0; o < w.columns; o++) {
                    double sum = b.values[o];
                    for (int i = 0; i < w.rows; i++) {
                        sum += h[i] * w.values[i * w.columns + o];
                    }
                    next[o] = relu ? Math.max(0, sum) : sum;
                }
                h = next;
            }
            for (int o = 0; o < h.length; o++) {
                assertEquals(h[o], engine.getDouble(r, o), 1e-5, "row " + r + " class " + o);
            }
        }
    }

    /** A deliberately naive .npy reader for '<f4' files: shape from the header text, then the floats. */
    private record PlainArray(int rows, int columns, float[] values) {
        private static final Pattern SHAPE = Pattern.compile("'shape': \\((\\d+),\\s*(\\d*)\\)?");

        static PlainArray parse(byte[] file) {
            int headerLength = (file[8] & 0xff) | (file[9] & 0xff) << 8;
            String header = new String(file, 10, headerLength, StandardCharsets.US_ASCII);
            assertTrue(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header);
            Matcher m = SHAPE.matcher(header);
            assertTrue(m.find(), header);
            int rows = Integer.parseInt(m.group(1));
            int columns = m.group(2).isEmpty() ? rows : Integer.parseInt(m.group(2));
            if (m.group(2).isEmpty()) {
                rows = 1;
            }
            float[] values = new float[rows * columns];
            ByteBuffer.wrap(file, 10 + headerLength, 4 * values.length).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(values);
            assertEquals(10 + headerLength + 4 * values.length, file.length);
            return new PlainArray(rows, columns, values);
        }
    }
}
