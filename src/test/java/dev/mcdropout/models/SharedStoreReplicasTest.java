package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import dev.mcdropout.ServiceTestSupport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Two replicas on one store directory, as on a ReadWriteMany volume: replica A runs in this JVM, replica B is
 * a separate JVM process started from the test class path, with training switched off. They share nothing
 * but the directory.
 */
class SharedStoreReplicasTest {

    private static final String KEY = "replica-test-key";
    private static final Duration RESCAN = Duration.ofMillis(1000);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void aModelTrainedOnOneReplicaIsServedByTheOtherWhileBothPredictAndConcurrentImportsNeverCollide(
            @TempDir Path store, @TempDir Path logs) throws Exception {
        int portB = freePort();
        Process b = startReplicaB(store, portB, logs.resolve("replica-b.log"));
        try (ConfigurableApplicationContext a = new SpringApplicationBuilder(McDropoutApplication.class).run(
                "--server.port=0", "--management.server.port=0", "--mcdropout.store.dir=" + store, "--spring.jmx.enabled=false",
                "--mcdropout.security.api-key=" + KEY, "--mcdropout.store.rescan-interval=" + RESCAN.toMillis() + "ms")) {
            int portA = Integer.parseInt(a.getEnvironment().getProperty("local.server.port"));
            // A trains the default model; B, with training off, becomes ready only by finding it in the store.
            ServiceTestSupport.awaitReady(portA);
            awaitReady(portB, b, logs);
            assertThat(json(get(portB, "/models")).get(0).get("name").asString()).isEqualTo("digits");

            // Clients predict on both replicas for the whole test.
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger[] answered = {new AtomicInteger(), new AtomicInteger()};
            ExecutorService clients = Executors.newFixedThreadPool(2);
            int[] ports = {portA, portB};
            for (int c = 0; c < 2; c++) {
                int replica = c;
                clients.submit(() -> {
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = post(ports[replica], "/predict?mcSamples=20&seed=1",
                                    ServiceTestSupport.digitsBody(replica, 2), "application/json");
                            if (r.statusCode() == 200) {
                                answered[replica].incrementAndGet();
                            } else {
                                errors.add("replica " + replica + ": " + r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            errors.add("replica " + replica + ": " + e);
                        }
                    }
                });
            }

            // Training is off on B: a clear 503 problem.
            HttpResponse<String> refused = post(portB, "/train", trainJson("shared", 1, true), "application/json");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(json(refused).get("type").asString()).endsWith("/training-disabled");

            // A model trained on A is served by B within about one rescan interval.
            HttpResponse<String> trained = post(portA, "/train?wait=true", trainJson("shared", 1, true), "application/json");
            assertThat(trained.statusCode()).as(trained.body()).isEqualTo(200);
            assertThat(json(trained).get("status").asString()).isEqualTo("SUCCEEDED");
            long trainedAt = System.nanoTime();
            long servedAfter = awaitServed(portB, "shared", 1, trainedAt);
            System.out.printf("replica B served model 'shared' v1 %d ms after replica A stored it (rescan interval %d ms)%n",
                    servedAfter, RESCAN.toMillis());
            assertThat(Duration.ofMillis(servedAfter)).isLessThan(RESCAN.plusSeconds(4));

            // A second version trained without activation, then activated on A: B follows the moved pointer.
            HttpResponse<String> second = post(portA, "/train?wait=true", trainJson("shared", 2, false), "application/json");
            assertThat(json(second).get("model").get("version").asInt()).isEqualTo(2);
            assertThat(post(portA, "/models/shared/versions/2/activate", "", "application/json").statusCode()).isEqualTo(200);
            long activatedAt = System.nanoTime();
            long followedAfter = awaitServed(portB, "shared", 2, activatedAt);
            System.out.printf("replica B served the newly activated v2 %d ms after the activation on A%n", followedAfter);
            assertThat(Duration.ofMillis(followedAfter)).isLessThan(RESCAN.plusSeconds(4));

            // Concurrent imports of one artifact on both replicas: every import gets its own version, none is
            // lost or duplicated, and every stored zip is byte-for-byte the upload.
            byte[] zip = http.send(HttpRequest.newBuilder(uri(portA, "/models/shared/versions/1/artifact"))
                            .header("X-API-Key", KEY).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body();
            String sha = sha256(zip);
            int perReplica = 8;
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService importers = Executors.newFixedThreadPool(2 * perReplica);
            List<Future<HttpResponse<String>>> imports = new ArrayList<>();
            for (int i = 0; i < 2 * perReplica; i++) {
                int port = i % 2 == 0 ? portA : portB;
                imports.add(importers.submit(() -> {
                    go.await();
                    return http.send(HttpRequest.newBuilder(uri(port, "/models/imported/versions"))
                            .header("Content-Type", "application/zip").header("X-API-Key", KEY)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(), HttpResponse.BodyHandlers.ofString());
                }));
            }
            go.countDown();
            Set<Integer> versions = new TreeSet<>();
            for (Future<HttpResponse<String>> f : imports) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                assertThat(json(r).get("sha256").asString()).isEqualTo(sha);
                versions.add(json(r).get("version").asInt());
            }
            importers.shutdown();
            List<Integer> expected = new ArrayList<>();
            for (int v = 1; v <= 2 * perReplica; v++) {
                expected.add(v);
            }
            assertThat(versions).as("one distinct version per import").containsExactlyElementsOf(expected);
            try (Stream<Path> files = Files.list(store.resolve("imported"))) {
                List<Path> zips = files.filter(p -> p.getFileName().toString().endsWith(".zip")).toList();
                assertThat(zips).hasSize(2 * perReplica);
                for (Path p : zips) {
                    assertThat(sha256(Files.readAllBytes(p))).as(p.toString()).isEqualTo(sha);
                }
            }
            assertThat(json(get(portB, "/models/imported/versions/" + 2 * perReplica)).get("sha256").asString()).isEqualTo(sha);
            // Both replicas end up serving the same active version of the new model.
            int activeOnA = json(get(portA, "/v2/models/imported")).get("properties").get("active_version").asInt();
            long deadline = System.nanoTime() + RESCAN.plusSeconds(4).toNanos();
            int activeOnB = -1;
            while (System.nanoTime() < deadline && activeOnB != activeOnA) {
                HttpResponse<String> r = get(portB, "/v2/models/imported");
                activeOnB = r.statusCode() == 200 ? json(r).get("properties").get("active_version").asInt() : -1;
                Thread.sleep(50);
            }
            assertThat(activeOnB).isEqualTo(activeOnA);

            stop.set(true);
            clients.shutdown();
            assertThat(clients.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            System.out.printf("predictions during the test: replica A %d, replica B %d, errors %d%n",
                    answered[0].get(), answered[1].get(), errors.size());
            assertThat(errors).isEmpty();
            assertThat(answered[0].get()).isPositive();
            assertThat(answered[1].get()).isPositive();
        } finally {
            b.destroy();
            if (!b.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                b.destroyForcibly();
            }
        }
    }

    /** Milliseconds from {@code since} until {@code port} answers a prediction with {@code model} at {@code version}. */
    private long awaitServed(int port, String model, int version, long since) throws Exception {
        long deadline = since + Duration.ofSeconds(60).toNanos();
        String body = "{\"instances\":[[0.5,0.5,0.5,0.5]]}";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = post(port, "/predict?model=" + model, body, "application/json");
            if (r.statusCode() == 200 && json(r).get("model").get("version").asInt() == version) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("replica on port " + port + " did not serve " + model + " v" + version);
    }

    /** Three seeded, well-separated classes in 4 dimensions, and small hyperparameters: trains in a second. */
    private static String trainJson(String name, long seed, boolean activate) {
        Random random = new Random(seed);
        StringBuilder features = new StringBuilder("[");
        StringBuilder labels = new StringBuilder("[");
        for (int i = 0; i < 90; i++) {
            int c = i % 3;
            features.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < 4; j++) {
                features.append(j == 0 ? "" : ",").append((j == c ? 4.0 : 0.0) + random.nextGaussian());
            }
            features.append(']');
            labels.append(i == 0 ? "" : ",").append('"').append((char) ('a' + c)).append('"');
        }
        return "{\"name\":\"" + name + "\",\"activate\":" + activate + ",\"dataset\":{\"features\":" + features
                + "],\"labels\":" + labels + "]},\"hyperparameters\":{\"hiddenLayers\":[16],\"epochs\":5,\"seed\":" + seed + "}}";
    }

    private Process startReplicaB(Path store, int port, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = List.of(java, "-Xmx768m", "-cp", classPath, McDropoutApplication.class.getName(),
                "--server.port=" + port, "--management.server.port=0", "--mcdropout.store.dir=" + store, "--spring.jmx.enabled=false",
                "--mcdropout.security.api-key=" + KEY, "--mcdropout.store.rescan-interval=" + RESCAN.toMillis() + "ms",
                "--mcdropout.training.enabled=false", "--mcdropout.predict.threads=2");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private void awaitReady(int port, Process process, Path logs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("replica B exited: " + tail(logs.resolve("replica-b.log")));
            }
            try {
                if (get(port, "/v2/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("replica B not ready: " + tail(logs.resolve("replica-b.log")));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static URI uri(int port, String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String body, String type) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", type).header("X-API-Key", KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) {
        return ServiceTestSupport.JSON.readTree(response.body());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
