package dev.mcdropout.nn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The seed tutorial's numbers ({@code fixtures/seed-two-layer-net.json}, written by
 * {@code make_seed_fixture.py} with numpy): a 5-7-3 network with dropout p on the hidden layer, its inputs,
 * weights, keep-masks and every intermediate result. Reusable by any test in this package.
 */
final class SeedFixture {

    static final String RESOURCE = "/fixtures/seed-two-layer-net.json";

    private final JsonNode root;

    private SeedFixture(JsonNode root) {
        this.root = root;
    }

    static SeedFixture load() {
        try (InputStream in = SeedFixture.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the test classpath");
            }
            return new SeedFixture(JsonMapper.builder().build().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode root() {
        return root;
    }

    /** The node at a path of field names, e.g. {@code node("train", "grads", "W1")}. */
    JsonNode node(String... path) {
        JsonNode node = root;
        for (String field : path) {
            node = node.get(field);
            if (node == null) {
                throw new IllegalArgumentException("the fixture has no " + String.join(".", path));
            }
        }
        return node;
    }

    double dropoutProbability() {
        return node("dropoutProbability").asDouble();
    }

    double scalar(String... path) {
        return node(path).asDouble();
    }

    int[] labels() {
        JsonNode y = node("y");
        int[] labels = new int[y.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = y.get(i).asInt();
        }
        return labels;
    }

    /** A JSON vector as a Java array. */
    static double[] vector(JsonNode node) {
        double[] v = new double[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asDouble();
        }
        return v;
    }

    /** A JSON matrix (list of rows) as a Java array. */
    static double[][] matrix(JsonNode node) {
        double[][] m = new double[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(node.get(i));
        }
        return m;
    }

    /** The matrix at a path as an array of the given type; a vector becomes a [1, n] row. */
    INDArray array(DataType type, String... path) {
        JsonNode node = node(path);
        if (node.size() > 0 && node.get(0).isArray()) {
            return Nd4j.create(matrix(node)).castTo(type);
        }
        double[] v = vector(node);
        return Nd4j.create(v, new long[] {1, v.length}, DataType.DOUBLE).castTo(type);
    }

    INDArray x(DataType type) {
        return array(type, "X");
    }

    /** The tutorial's network: W1, b1 with ReLU and dropout p, then W2, b2 linear; identity standardisation. */
    Network network(DataType type) {
        INDArray w1 = array(type, "W1");
        List<Layer> layers = List.of(
                new Layer(w1, array(type, "b1"), Activation.RELU, dropoutProbability()),
                new Layer(array(type, "W2"), array(type, "b2"), Activation.LINEAR, 0.0));
        int classes = (int) layers.get(1).outputs();
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add(Integer.toString(c));
        }
        return new Network(layers, 0.0, Standardization.identity((int) w1.rows()), names);
    }

    /** Scaled masks per dropout site for the fixture's training pass: none on the input, keep / (1 - p) after. */
    List<INDArray> trainMasks(DataType type) {
        return Arrays.asList(null, Dropout.scale(array(type, "train", "keep"), dropoutProbability()));
    }
}
