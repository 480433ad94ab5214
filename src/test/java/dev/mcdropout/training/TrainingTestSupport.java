package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** HTTP helpers and small data sets for the training tests; each subclass runs its own real server. */
abstract class TrainingTestSupport {

    static final String API_KEY = "training-test-key";
    static final JsonMapper JSON = JsonMapper.builder().build();

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    URI uri(String pathAndQuery) {
        return URI.create("http://localhost:" + port + pathAndQuery);
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET on the management port (actuator). */
    HttpResponse<String> management(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("X-API-Key", API_KEY).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postMultipart(String path, Multipart form) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", form.contentType())
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    /** Polls the job until it reaches a final status (or fails the test after {@code timeout}). */
    JsonNode awaitFinished(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job;
        do {
            HttpResponse<String> r = get("/train/jobs/" + id);
            assertThat(r.statusCode()).isEqualTo(200);
            job = json(r);
            String status = job.get("status").asString();
            if (!status.equals("QUEUED") && !status.equals("RUNNING")) {
                return job;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job " + id + " did not finish within " + timeout + ": " + job);
    }

    /** Polls until the job is RUNNING and has finished at least one epoch. */
    JsonNode awaitRunning(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode job;
        do {
            job = json(get("/train/jobs/" + id));
            if (job.get("status").asString().equals("RUNNING") && job.get("epoch").asInt() >= 1) {
                return job;
            }
            assertThat(job.get("status").asString()).isIn("QUEUED", "RUNNING");
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job " + id + " did not start: " + job);
    }

    /**
     * Three well-separated Gaussian blobs in 4 dimensions (centres 4 apart, unit spread), labels "a", "b",
     * "c"; seeded, so every run sees the same rows.
     */
    static Blobs blobs(int perClass, long seed) {
        Random random = new Random(seed);
        String[] names = {"a", "b", "c"};
        double[][] rows = new double[perClass * 3][];
        String[] labels = new String[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int c = i % 3;
            double[] row = new double[4];
            for (int j = 0; j < 4; j++) {
                row[j] = (j == c ? 4.0 : 0.0) + (j == 3 ? 4.0 * c : 0.0) + random.nextGaussian();
            }
            rows[i] = row;
            labels[i] = names[c];
        }
        return new Blobs(rows, List.of(labels));
    }

    record Blobs(double[][] rows, List<String> labels) {

        String datasetJson() {
            StringBuilder sb = new StringBuilder("{\"features\":").append(matrix(rows)).append(",\"labels\":[");
            for (int i = 0; i < labels.size(); i++) {
                sb.append(i == 0 ? "" : ",").append('"').append(labels.get(i)).append('"');
            }
            return sb.append("]}").toString();
        }

        /** A header row x1..x4 and a label column named "species" in second position. */
        String csv() {
            StringBuilder sb = new StringBuilder("x1,species,x2,x3,x4\n");
            for (int i = 0; i < rows.length; i++) {
                double[] r = rows[i];
                sb.append(r[0]).append(',').append(labels.get(i)).append(',').append(r[1]).append(',').append(r[2])
                        .append(',').append(r[3]).append('\n');
            }
            return sb.toString();
        }
    }

    static String trainJson(String name, String datasetJson, String hyperparameters) {
        return "{\"name\":\"" + name + "\",\"dataset\":" + datasetJson
                + (hyperparameters == null ? "" : ",\"hyperparameters\":" + hyperparameters) + "}";
    }

    static String matrix(double[][] rows) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.length; i++) {
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < rows[i].length; j++) {
                sb.append(j == 0 ? "" : ",").append(rows[i][j]);
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }

    static String instances(double[][] rows) {
        return "{\"instances\":" + matrix(rows) + "}";
    }

    /** Files under the store directory, relative, for "nothing was written" checks. */
    static List<String> files(Path store) {
        if (!Files.exists(store)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(store)) {
            return paths.filter(Files::isRegularFile).map(p -> store.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A multipart/form-data body built by hand, so tests control exactly what is sent. */
    static final class Multipart {

        private final String boundary = "----mcdropout" + UUID.randomUUID();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Multipart field(String name, String value) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
            return this;
        }

        Multipart file(String name, String filename, String contentType, String content) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                    + "\"\r\nContent-Type: " + contentType + "\r\n\r\n" + content + "\r\n");
            return this;
        }

        /** The same form with every byte above 0x7F sent as ISO-8859-1 instead of UTF-8. */
        Multipart latin1() {
            String text = out.toString(StandardCharsets.UTF_8);
            out.reset();
            out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] bytes() {
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            copy.writeBytes(out.toByteArray());
            copy.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return copy.toByteArray();
        }

        private void write(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
