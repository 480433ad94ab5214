package dev.mcdropout.nn.artifact;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import dev.mcdropout.nn.Activation;
import dev.mcdropout.nn.BatchNorm;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Standardization;
import dev.mcdropout.nn.TrainingHistory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Networks, artifacts, and a raw zip builder for crafting archives that java.util.zip refuses to write. */
final class ArtifactFixtures {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private ArtifactFixtures() {
    }

    /** 5 inputs -> 7 (ReLU, p = 0.5) -> 4 (ReLU, p = 0.2) -> 3 classes, random weights and biases. */
    static Network network(DataType type, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] sizes = {5, 7, 4, 3};
        double[] dropout = {0.5, 0.2, 0.0};
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            double[] w = new double[sizes[i] * sizes[i + 1]];
            double[] b = new double[sizes[i + 1]];
            for (int k = 0; k < w.length; k++) {
                w[k] = random.nextDouble(-1, 1) / Math.sqrt(sizes[i]);
            }
            for (int k = 0; k < b.length; k++) {
                b[k] = random.nextDouble(-0.2, 0.2);
            }
            boolean output = i + 2 == sizes.length;
            layers.add(new Layer(Nd4j.create(w, new long[] {sizes[i], sizes[i + 1]}, type),
                    Nd4j.create(b, new long[] {1, sizes[i + 1]}, type),
                    output ? Activation.LINEAR : Activation.RELU, dropout[i]));
        }
        double[] mean = new double[sizes[0]];
        double[] std = new double[sizes[0]];
        for (int j = 0; j < mean.length; j++) {
            mean[j] = random.nextDouble(-3, 3);
            std[j] = random.nextDouble(0.5, 2);
        }
        return new Network(layers, 0.1, new Standardization(mean, std), List.of("cat", "dog", "eel"));
    }

    /**
     * {@link #network} with batch norm on both hidden layers (random gamma, beta, running statistics) and
     * DropConnect on the first: the variants formatVersion 2 describes.
     */
    static Network variantNetwork(DataType type, long seed) {
        Network plain = network(type, seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        List<Layer> layers = new ArrayList<>();
        List<Layer> old = plain.layers();
        for (int i = 0; i < old.size(); i++) {
            Layer l = old.get(i);
            boolean hidden = i < old.size() - 1;
            BatchNorm bn = null;
            if (hidden) {
                int units = l.outputs();
                double[][] values = new double[4][units];
                for (int j = 0; j < units; j++) {
                    values[0][j] = random.nextDouble(0.5, 1.5);
                    values[1][j] = random.nextDouble(-0.3, 0.3);
                    values[2][j] = random.nextDouble(-1, 1);
                    values[3][j] = random.nextDouble(0.1, 3);
                }
                bn = new BatchNorm(Nd4j.create(values[0], new long[] {1, units}, type),
                        Nd4j.create(values[1], new long[] {1, units}, type),
                        Nd4j.create(values[2], new long[] {1, units}, type),
                        Nd4j.create(values[3], new long[] {1, units}, type), i == 0 ? 1e-5 : 1e-3);
            }
            layers.add(new Layer(l.weights(), l.bias(), l.activation(), l.dropout(), i == 0, bn));
        }
        return new Network(layers, plain.inputDropout(), plain.standardization(), plain.classes());
    }

    static ModelArtifact artifact(Network network) {
        Map<String, Object> hyperparameters = new LinkedHashMap<>();
        hyperparameters.put("optimizer", "adam");
        hyperparameters.put("epochs", 30);
        hyperparameters.put("learningRate", 0.001);
        hyperparameters.put("hidden", List.of(7, 4));
        hyperparameters.put("earlyStopping", true);
        hyperparameters.put("seed", 1234567890123L);
        TrainingHistory history = new TrainingHistory(List.of(1.1, 0.7, 0.5), List.of(0.4, 0.7, 0.81),
                List.of(1.2, 0.8, 0.61), List.of(0.38, 0.66, 0.79));
        return new ModelArtifact(network, hyperparameters, history,
                Map.of("testAccuracy", 0.953125, "testLoss", 0.123456789012345),
                Instant.parse("2026-11-30T03:50:02.123456789Z"));
    }

    static ModelArtifact artifact() {
        return artifact(network(DataType.FLOAT, 42));
    }

    /** Raw rows of the network's input width. */
    static double[][] rows(int count, int features, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] rows = new double[count][features];
        for (double[] row : rows) {
            for (int j = 0; j < features; j++) {
                row[j] = random.nextDouble(-5, 5);
            }
        }
        return rows;
    }

    static void assertSameNetwork(Network expected, Network actual) {
        assertEquals(DataType.FLOAT, actual.dataType());
        assertEquals(expected.classes(), actual.classes());
        assertEquals(expected.inputDropout(), actual.inputDropout());
        assertEquals(expected.standardization(), actual.standardization());
        assertEquals(expected.layerCount(), actual.layerCount());
        List<Layer> expectedLayers = expected.layers();
        List<Layer> actualLayers = actual.layers();
        for (int i = 0; i < expected.layerCount(); i++) {
            Layer e = expectedLayers.get(i);
            Layer a = actualLayers.get(i);
            assertEquals(e.activation(), a.activation(), "layer " + i + " activation");
            assertEquals(e.dropout(), a.dropout(), "layer " + i + " dropout");
            assertEquals(e.dropConnect(), a.dropConnect(), "layer " + i + " dropConnect");
            assertEquals(e.batchNorm() == null, a.batchNorm() == null, "layer " + i + " batch norm");
            if (e.batchNorm() != null) {
                BatchNorm eb = e.batchNorm();
                BatchNorm ab = a.batchNorm();
                assertEquals(eb.epsilon(), ab.epsilon(), "layer " + i + " epsilon");
                assertArrayEquals(bits(eb.gamma().toFloatMatrix()), bits(ab.gamma().toFloatMatrix()), "layer " + i + " gamma");
                assertArrayEquals(bits(eb.beta().toFloatMatrix()), bits(ab.beta().toFloatMatrix()), "layer " + i + " beta");
                assertArrayEquals(bits(eb.runningMean().toFloatMatrix()), bits(ab.runningMean().toFloatMatrix()),
                        "layer " + i + " runningMean");
                assertArrayEquals(bits(eb.runningVar().toFloatMatrix()), bits(ab.runningVar().toFloatMatrix()),
                        "layer " + i + " runningVar");
            }
            assertArrayEquals(e.weights().shape(), a.weights().shape(), "layer " + i + " weights shape");
            assertArrayEquals(bits(e.weights().toFloatMatrix()), bits(a.weights().toFloatMatrix()),
                    "layer " + i + " weights bits");
            assertArrayEquals(bits(e.bias().toFloatMatrix()), bits(a.bias().toFloatMatrix()), "layer " + i + " bias");
        }
    }

    private static int[] bits(float[][] matrix) {
        return Arrays.stream(matrix).flatMapToInt(row -> {
            int[] b = new int[row.length];
            for (int k = 0; k < row.length; k++) {
                b[k] = Float.floatToRawIntBits(row[k]);
            }
            return Arrays.stream(b);
        }).toArray();
    }

    /** The entries of a zip as java.util.zip sees them, in order. */
    static Map<String, byte[]> unzip(byte[] zip) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** A float .npy file with an arbitrary header dict, written independently of {@link Npy}. */
    static byte[] npy(String dict, byte[] data) {
        String header = dict;
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        return out.array();
    }

    static byte[] littleEndianFloats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] littleEndianDoubles(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    /** An archive taken apart for tampering: its model.json as a tree and its other entries as bytes. */
    static final class Unpacked {
        final ObjectNode model;
        final Map<String, byte[]> entries;

        Unpacked(byte[] zip) {
            entries = unzip(zip);
            model = (ObjectNode) JSON.readTree(entries.get("model.json"));
        }

        /** Replaces an array file and, like an honest tool, updates its sha256. */
        Unpacked putAndRehash(String name, byte[] bytes) {
            entries.put(name, bytes);
            ((ObjectNode) model.get("sha256")).put(name, ModelArtifacts.sha256(bytes));
            return this;
        }

        ObjectNode layer(int i) {
            return (ObjectNode) model.get("layers").get(i);
        }

        byte[] zip() {
            entries.put("model.json", JSON.writeValueAsBytes(model));
            return RawZip.of(entries);
        }
    }

    /**
     * Writes zips byte by byte: local headers, data, central directory, end record. Unlike ZipOutputStream
     * it writes duplicate names and lying sizes, which is what the tests need.
     */
    static final class RawZip {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream central = new ByteArrayOutputStream();
        private int count;

        static byte[] of(Map<String, byte[]> entries) {
            RawZip zip = new RawZip();
            entries.forEach(zip::stored);
            return zip.finish();
        }

        RawZip stored(String name, byte[] data) {
            CRC32 crc = new CRC32();
            crc.update(data);
            return entry(name, 0, data, crc.getValue(), data.length);
        }

        RawZip deflated(String name, byte[] data) {
            CRC32 crc = new CRC32();
            crc.update(data);
            return entry(name, 8, deflate(data), crc.getValue(), data.length);
        }

        /** A deflated entry whose headers claim {@code declaredSize} uncompressed bytes, true or not. */
        RawZip entry(String name, int method, byte[] stored, long crc, long declaredSize) {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            int offset = out.size();
            header(out, 0x04034b50, 20, method, crc, stored.length, declaredSize, nameBytes, -1);
            out.writeBytes(nameBytes);
            out.writeBytes(stored);
            header(central, 0x02014b50, 20, method, crc, stored.length, declaredSize, nameBytes, offset);
            central.writeBytes(nameBytes);
            count++;
            return this;
        }

        byte[] finish() {
            int directoryOffset = out.size();
            out.writeBytes(central.toByteArray());
            ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
            end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) count)
                    .putShort((short) count).putInt(central.size()).putInt(directoryOffset).putShort((short) 0);
            out.writeBytes(end.array());
            return out.toByteArray();
        }

        private static void header(ByteArrayOutputStream to, int signature, int version, int method, long crc,
                                   long compressed, long size, byte[] name, int offset) {
            boolean centralRecord = offset >= 0;
            ByteBuffer b = ByteBuffer.allocate(centralRecord ? 46 : 30).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(signature);
            if (centralRecord) {
                b.putShort((short) version);
            }
            b.putShort((short) version).putShort((short) 0).putShort((short) method)
                    .putShort((short) 0).putShort((short) 0x21) // 1980-01-01 00:00
                    .putInt((int) crc).putInt((int) compressed).putInt((int) size)
                    .putShort((short) name.length).putShort((short) 0);
            if (centralRecord) {
                b.putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(offset);
            }
            to.writeBytes(b.array());
        }

        static byte[] deflate(byte[] data) {
            Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            return out.toByteArray();
        }
    }
}
