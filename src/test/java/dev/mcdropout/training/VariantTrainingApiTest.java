package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The two variants through the API, each with every other hyperparameter at its default: trained on 80% of the
 * bundled digits data (stratified, seeded split), classified on the held-out 20% in test mode and with Monte
 * Carlo (mcSamples=100); exported and imported bit for bit; and the exported arrays run through a plain Java
 * deterministic pass (this file's own .npy reader and arithmetic, nothing of the engine) that matches
 * POST /predict without mcSamples. Also: a batch-norm archive written by numpy is imported and served.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
})
class VariantTrainingApiTest extends TrainingTestSupport {

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dropConnect", "batchNorm"})
    void eachVariantWithDefaultHyperparametersReachesHeldOutAccuracyOf96PercentOnDigits(String variant) throws Exception {
        Dataset digits = Datasets.digits();
        Dataset.Split split = digits.stratifiedSplit(0.2, 42);
        Dataset train = split.train();
        Dataset test = split.heldOut();
        StringBuilder labels = new StringBuilder("[");
        for (int i = 0; i < train.size(); i++) {
            labels.append(i == 0 ? "\"" : ",\"").append(train.classes().get(train.label(i))).append('"');
        }
        String name = "digits-" + variant.toLowerCase();
        String body = "{\"name\":\"" + name + "\",\"dataset\":{\"features\":" + matrix(train.features())
                + ",\"labels\":" + labels.append(']') + "},\"hyperparameters\":{\"" + variant + "\":true}}";

        long start = System.nanoTime();
        HttpResponse<String> posted = postJson("/train", body);
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        JsonNode job = awaitFinished(json(posted).get("id").asString(), Duration.ofMinutes(10));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");

        JsonNode meta = json(get("/models/" + name + "/versions/1"));
        JsonNode architecture = meta.get("architecture");
        assertThat(architecture.get("dropConnect").asBoolean()).isEqualTo(variant.equals("dropConnect"));
        assertThat(architecture.get("batchNorm").asBoolean()).isEqualTo(variant.equals("batchNorm"));
        assertThat(meta.get("hyperparameters").get(variant).asBoolean()).isTrue();

        String rows = instances(test.features());
        JsonNode deterministic = json(postJson("/predict?model=" + name + "&include=scores", rows));
        JsonNode monteCarlo = json(postJson("/predict?model=" + name + "&mcSamples=100&seed=7&include=scores", rows));
        assertThat(deterministic.get("mcSamples").asInt()).isZero();
        assertThat(monteCarlo.get("mcSamples").asInt()).isEqualTo(100);
        double testMode = accuracy(deterministic, test);
        double mc = accuracy(monteCarlo, test);
        System.out.printf("%s via API: %d training rows, %d epochs (early stopping), %.1f s; held-out accuracy "
                        + "test mode %.4f, mcSamples=100 %.4f (%d rows)%n", variant, train.size(), job.get("epoch").asInt(),
                seconds, testMode, mc, test.size());
        assertThat(testMode).isGreaterThanOrEqualTo(0.96);
        assertThat(mc).isGreaterThanOrEqualTo(0.96);
        // Monte Carlo really samples: some held-out rows get a spread.
        double spread = 0;
        for (JsonNode p : monteCarlo.get("predictions")) {
            spread = Math.max(spread, p.get("std").get(0).asDouble());
        }
        assertThat(spread).isPositive();

        // Export, import as another model, export again: the same bytes, the same answers bit for bit.
        byte[] exported = download("/models/" + name + "/versions/1/artifact");
        HttpResponse<String> imported = http.send(HttpRequest.newBuilder(uri("/models/" + name + "-copy/versions"))
                .header("Content-Type", "application/zip").header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(exported)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
        assertThat(json(imported).get("architecture")).isEqualTo(architecture);
        byte[] again = download("/models/" + name + "-copy/versions/1/artifact");
        assertThat(sha256(again)).isEqualTo(sha256(exported));
        JsonNode copyAnswer = json(postJson("/predict?model=" + name + "-copy&mcSamples=100&seed=7&include=scores", rows));
        assertThat(copyAnswer.get("predictions")).isEqualTo(monteCarlo.get("predictions"));

        // The exported arrays through a plain deterministic pass match /predict without mcSamples.
        PlainNetwork plain = PlainNetwork.read(exported);
        assertThat(plain.batchNorm).isEqualTo(variant.equals("batchNorm"));
        double[][] features = test.features();
        double worst = 0;
        for (int r = 0; r < features.length; r++) {
            double[] scores = plain.scores(features[r]);
            double[] probabilities = softmax(scores);
            JsonNode served = deterministic.get("predictions").get(r);
            for (int c = 0; c < scores.length; c++) {
                double servedScore = served.get("scoresMean").get(c).asDouble();
                worst = Math.max(worst, Math.abs(scores[c] - servedScore) / Math.max(1, Math.abs(scores[c])));
                assertThat(servedScore).as("row %d class %d score", r, c)
                        .isCloseTo(scores[c], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(scores[c]))));
                assertThat(served.get("mean").get(c).asDouble()).as("row %d class %d probability", r, c)
                        .isCloseTo(probabilities[c], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        System.out.printf("%s: plain Java pass over the exported .npy arrays vs /predict, worst score difference "
                + "%.2e (relative to max(1, |score|))%n", variant, worst);
    }

    @Test
    void aBatchNormArchiveWrittenByNumpyIsImportedAndServed() throws Exception {
        byte[] zip;
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/artifacts/numpy-bn-net.zip");
             InputStream e = getClass().getResourceAsStream("/artifacts/numpy-bn-net.expected.json")) {
            zip = in.readAllBytes();
            expected = JSON.readTree(e.readAllBytes());
        }
        HttpResponse<String> imported = http.send(HttpRequest.newBuilder(uri("/models/numpy-bn/versions"))
                .header("Content-Type", "application/zip").header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
        JsonNode architecture = json(imported).get("architecture");
        assertThat(architecture.get("batchNorm").asBoolean()).isTrue();
        assertThat(architecture.get("dropConnect").asBoolean()).isTrue();

        JsonNode rows = expected.get("rows");
        JsonNode answer = json(postJson("/predict?model=numpy-bn&include=scores", "{\"instances\":" + rows + "}"));
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < 3; c++) {
                double want = expected.get("scores").get(r).get(c).asDouble();
                assertThat(answer.get("predictions").get(r).get("scoresMean").get(c).asDouble())
                        .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(want))));
                assertThat(answer.get("predictions").get(r).get("mean").get(c).asDouble())
                        .isCloseTo(expected.get("probabilities").get(r).get(c).asDouble(),
                                org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        JsonNode sampled = json(postJson("/predict?model=numpy-bn&mcSamples=200&seed=3", "{\"instances\":" + rows + "}"));
        assertThat(sampled.get("mcSamples").asInt()).isEqualTo(200);
        assertThat(sampled.get("predictions").get(1).get("mutualInformation").asDouble()).isPositive();
    }

    private byte[] download(String path) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static double accuracy(JsonNode answer, Dataset test) {
        JsonNode predictions = answer.get("predictions");
        assertThat(predictions.size()).isEqualTo(test.size());
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            if (predictions.get(i).get("predictedClass").asString().equals(test.classes().get(test.label(i)))) {
                correct++;
            }
        }
        return (double) correct / test.size();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        double[] p = new double[scores.length];
        for (int c = 0; c < scores.length; c++) {
            p[c] = Math.exp(scores[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < scores.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /**
     * A model archive read and computed the plain way, in double: model.json with Jackson, each .npy by its
     * header ('<f4', C order) and little-endian floats; then {@code (x - mean) / std}, and per layer
     * {@code x @ W + b}, batch norm with the running statistics, ReLU on hidden layers. No dropout, no
     * DropConnect: the deterministic pass.
     */
    record PlainNetwork(double[] mean, double[] std, double[][][] weights, double[][] biases,
                        double[][][] normalisation, double[] epsilon, boolean[] relu, boolean batchNorm) {

        static PlainNetwork read(byte[] zip) throws Exception {
            Map<String, byte[]> entries = new HashMap<>();
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
            JsonNode model = JSON.readTree(entries.get("model.json"));
            assertThat(model.get("formatVersion").asInt()).isEqualTo(2);
            JsonNode layers = model.get("layers");
            int n = layers.size();
            double[][][] weights = new double[n][][];
            double[][] biases = new double[n][];
            double[][][] bn = new double[n][][];
            double[] epsilon = new double[n];
            boolean[] relu = new boolean[n];
            boolean any = false;
            for (int i = 0; i < n; i++) {
                JsonNode layer = layers.get(i);
                weights[i] = matrix(entries.get(layer.get("weights").asString()));
                biases[i] = matrix(entries.get(layer.get("bias").asString()))[0];
                relu[i] = layer.get("activation").asString().equals("relu");
                JsonNode b = layer.get("batchNorm");
                if (b != null && !b.isNull()) {
                    any = true;
                    bn[i] = new double[4][];
                    String[] arrays = {"gamma", "beta", "runningMean", "runningVar"};
                    for (int k = 0; k < 4; k++) {
                        bn[i][k] = matrix(entries.get(b.get(arrays[k]).asString()))[0];
                    }
                    epsilon[i] = b.get("epsilon").asDouble();
                }
            }
            JsonNode standardization = model.get("standardization");
            return new PlainNetwork(JSON.treeToValue(standardization.get("mean"), double[].class),
                    JSON.treeToValue(standardization.get("std"), double[].class), weights, biases, bn, epsilon, relu,
                    any);
        }

        double[] scores(double[] raw) {
            double[] h = new double[raw.length];
            for (int j = 0; j < raw.length; j++) {
                h[j] = (raw[j] - mean[j]) / std[j];
            }
            for (int i = 0; i < weights.length; i++) {
                double[][] w = weights[i];
                double[] z = biases[i].clone();
                for (int k = 0; k < w.length; k++) {
                    for (int j = 0; j < z.length; j++) {
                        z[j] += h[k] * w[k][j];
                    }
                }
                if (normalisation[i] != null) {
                    double[][] bn = normalisation[i];
                    for (int j = 0; j < z.length; j++) {
                        z[j] = (z[j] - bn[2][j]) / Math.sqrt(bn[3][j] + epsilon[i]) * bn[0][j] + bn[1][j];
                    }
                }
                if (relu[i]) {
                    for (int j = 0; j < z.length; j++) {
                        z[j] = Math.max(0, z[j]);
                    }
                }
                h = z;
            }
            return h;
        }

        /** A '<f4' C-order .npy of shape (n,) or (rows, cols) as rows; (n,) is one row. */
        private static double[][] matrix(byte[] npy) {
            int headerLength = (npy[8] & 0xFF) | (npy[9] & 0xFF) << 8;
            String header = new String(npy, 10, headerLength, StandardCharsets.US_ASCII);
            assertThat(header).contains("'descr': '<f4'").contains("'fortran_order': False");
            Matcher shape = Pattern.compile("'shape': \\((\\d+),\\s*(\\d*)\\)").matcher(header);
            assertThat(shape.find()).as(header).isTrue();
            int rows = shape.group(2).isEmpty() ? 1 : Integer.parseInt(shape.group(1));
            int cols = shape.group(2).isEmpty() ? Integer.parseInt(shape.group(1)) : Integer.parseInt(shape.group(2));
            ByteBuffer data = ByteBuffer.wrap(npy, 10 + headerLength, rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
            double[][] m = new double[rows][cols];
            for (double[] row : m) {
                for (int j = 0; j < cols; j++) {
                    row[j] = data.getFloat();
                }
            }
            return m;
        }
    }
}
