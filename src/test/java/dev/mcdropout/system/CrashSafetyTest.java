package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ChildService;
import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import java.io.IOException;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Kill -9 at random moments, then restart on the same store. A client keeps importing, activating and deleting
 * versions of one model while another trains small models (each with an Idempotency-Key); the service's JVM is
 * killed after a random delay. After every restart: the store loads; every version the client was told was
 * saved (201 from an import, SUCCEEDED from a training job) is there with the SHA-256 it was saved with; every
 * version the service lists loads and predicts (nothing half-written is served); the active version is the
 * one last acknowledged (or the one whose activation was cut short); a training request retried with its key
 * gets its job back (SUCCEEDED, or FAILED "interrupted by restart"), never a second one.
 *
 * <p>{@code ./mvnw verify} kills {@value #DEFAULT_KILLS} times; {@code -Dmcdropout.crash.kills=50} runs the full
 * acceptance count (each kill costs one JVM start).
 */
class CrashSafetyTest {

    static final int DEFAULT_KILLS = 5;
    private static final String KEY = "crash-test-key";
    private static final String IMPORTED = "imported";
    private static final String TRAINED = "trained";
    private static final List<String> CLASSES = List.of("a", "b", "c");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path store;

    @TempDir
    Path logs;

    /** What the clients were told, to be checked after each restart. */
    private final Map<Integer, String> savedImports = new ConcurrentHashMap<>();
    private final Map<Integer, String> savedTrained = new ConcurrentHashMap<>();
    private volatile Integer ackedActive;
    /** An activation or deletion whose answer the kill cut off: either outcome is allowed. */
    private volatile Integer activationInFlight;
    private volatile Integer deletionInFlight;
    /** Training requests sent, by idempotency key: their bodies, for the retry after the restart. */
    private final Map<String, String> trainingRequests = new ConcurrentHashMap<>();
    private final Map<String, String> finishedKeys = new ConcurrentHashMap<>();
    /** A client's unexpected answer (anything but the connection dying under the kill). */
    private final AtomicReference<Throwable> clientFailure = new AtomicReference<>();

    @Test
    void aJobRunningWhenItsProcessIsKilledIsReportedFailedInterruptedByRestartAndItsKeyStillNamesIt() throws Exception {
        String body = trainingBody("endless", 1, "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4,\"hiddenLayers\":[32]}");
        String id;
        try (ChildService service = start()) {
            HttpResponse<String> posted = post(service, "/train", body, "endless-job-1");
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
            id = json(posted).get("id").asString();
            // Running, with progress written to its record (at most once a second).
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            JsonNode job;
            do {
                Thread.sleep(200);
                job = json(get(service, "/train/jobs/" + id));
            } while (job.get("epoch").asInt() < 3 && System.nanoTime() < deadline);
            assertThat(job.get("status").asString()).isEqualTo("RUNNING");
            Thread.sleep(1500);
            service.kill9();
        }
        try (ChildService service = start()) {
            JsonNode job = json(get(service, "/train/jobs/" + id));
            assertThat(job.get("status").asString()).isEqualTo("FAILED");
            assertThat(job.get("error").get("type").asString()).endsWith("/interrupted-by-restart");
            assertThat(job.get("error").get("detail").asString()).startsWith("interrupted by restart");
            assertThat(job.get("epoch").asInt()).as("progress recorded before the kill").isPositive();
            assertThat(job.get("history").get("loss").size()).isPositive();
            assertThat(job.has("finishedAt")).isTrue();
            assertThat(json(get(service, "/train/jobs")).findValuesAsString("id")).contains(id);

            // The client retries after its timeout: same key, same body, the same (failed) job; no training.
            HttpResponse<String> retried = post(service, "/train", body, "endless-job-1");
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
            assertThat(retried.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(json(retried).get("id").asString()).isEqualTo(id);
            assertThat(json(retried).get("status").asString()).isEqualTo("FAILED");
            // The same key for another request is refused.
            HttpResponse<String> other = post(service, "/train", trainingBody("endless", 2, "{\"epochs\":3}"), "endless-job-1");
            assertThat(other.statusCode()).as(other.body()).isEqualTo(422);
            assertThat(json(other).get("type").asString()).endsWith("/idempotency-key-reused");
            service.sigterm();
            service.process().waitFor();
        }
    }

    @Test
    void killedAtRandomMomentsTheStoreKeepsEverythingItReportedSavedAndServesNothingHalfWritten() throws Exception {
        int kills = Integer.getInteger("mcdropout.crash.kills", DEFAULT_KILLS);
        Random random = new Random(20261202);
        List<byte[]> zips = new ArrayList<>();
        for (int seed = 1; seed <= 4; seed++) {
            zips.add(TestArtifacts.zip(TestArtifacts.network(4, 8 + seed, CLASSES, seed)));
        }
        Map<String, Integer> inFlightAtKill = new ConcurrentHashMap<>();
        long started = System.nanoTime();
        for (int kill = 0; kill < kills; kill++) {
            try (ChildService service = start()) {
                verify(service);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<String> importerDoing = new AtomicReference<>("idle");
                AtomicReference<String> trainerDoing = new AtomicReference<>("idle");
                Random importerRandom = new Random(random.nextLong());
                Random trainerRandom = new Random(random.nextLong());
                int round = kill;
                Thread importer = new Thread(() -> importer(service, zips, importerRandom, stop, importerDoing));
                Thread trainer = new Thread(() -> trainer(service, round, trainerRandom, stop, trainerDoing));
                importer.start();
                trainer.start();
                Thread.sleep(300 + random.nextInt(2700));
                String state = importerDoing.get() + "+" + trainerDoing.get();
                service.kill9();
                stop.set(true);
                importer.join();
                trainer.join();
                if (clientFailure.get() != null) {
                    throw new AssertionError("a client got an unexpected answer before the kill", clientFailure.get());
                }
                ageLeftoverTempFiles();
                inFlightAtKill.merge(importerDoing.get(), 1, Integer::sum);
                inFlightAtKill.merge(trainerDoing.get(), 1, Integer::sum);
                System.out.printf("crash %d: killed during %s; %d imports and %d trained versions reported saved%n",
                        kill + 1, state, savedImports.size(), savedTrained.size());
            }
        }
        try (ChildService service = start()) {
            verify(service);
            service.sigterm();
            service.process().waitFor();
        }
        System.out.printf("crash safety: %d kills in %.0f s; in flight at the kill: %s%n", kills,
                (System.nanoTime() - started) / 1e9, inFlightAtKill);
        assertThat(savedImports.size() + savedTrained.size()).as("the clients got versions saved").isPositive();
    }

    /**
     * Makes the temp files the kill left look as old as they would be on a restart an hour later: a start-up
     * removes only temp files older than {@code mcdropout.store.stale-temp-age} (a younger one may be another
     * replica's upload in progress), and this test restarts at once.
     */
    private void ageLeftoverTempFiles() throws IOException {
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(Duration.ofHours(2)));
        try (Stream<Path> files = Files.walk(store)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).toList()) {
                try {
                    Files.setLastModifiedTime(f, old);
                } catch (java.nio.file.NoSuchFileException e) {
                    // gone already
                }
            }
        }
    }

    /** After a restart: what was reported saved is there, whole; what is listed loads; keys name their jobs. */
    private void verify(ChildService service) throws Exception {
        Integer deleting = deletionInFlight;
        if (deleting != null && get(service, "/models/" + IMPORTED + "/versions/" + deleting).statusCode() == 404) {
            savedImports.remove(deleting);
        }
        for (Map.Entry<Integer, String> saved : savedImports.entrySet()) {
            HttpResponse<String> version = get(service, "/models/" + IMPORTED + "/versions/" + saved.getKey());
            assertThat(version.statusCode()).as("imported version %s, reported saved", saved.getKey()).isEqualTo(200);
            assertThat(json(version).get("sha256").asString()).isEqualTo(saved.getValue());
        }
        for (Map.Entry<Integer, String> saved : savedTrained.entrySet()) {
            HttpResponse<String> version = get(service, "/models/" + TRAINED + "/versions/" + saved.getKey());
            assertThat(version.statusCode()).as("trained version %s, reported saved", saved.getKey()).isEqualTo(200);
            assertThat(json(version).get("sha256").asString()).isEqualTo(saved.getValue());
        }
        if (ackedActive != null) {
            JsonNode models = json(get(service, "/models"));
            Integer active = null;
            for (JsonNode m : models) {
                if (m.get("name").asString().equals(IMPORTED) && m.get("activeVersion").isInt()) {
                    active = m.get("activeVersion").asInt();
                }
            }
            assertThat(active).as("active version of %s", IMPORTED).isIn(ackedActive, activationInFlight);
            ackedActive = active;
        }
        activationInFlight = null;
        deletionInFlight = null;
        // Everything listed is whole: its metadata reads and it predicts.
        for (JsonNode model : json(get(service, "/models"))) {
            String name = model.get("name").asString();
            for (JsonNode v : model.get("versions")) {
                int version = v.asInt();
                assertThat(get(service, "/models/" + name + "/versions/" + version).statusCode())
                        .as("%s version %s loads", name, version).isEqualTo(200);
                HttpResponse<String> predicted = post(service, "/predict?mcSamples=3&seed=1&model=" + name + ":" + version,
                        "{\"instances\":[[0.5,1.5,-0.5,2.0]]}", null);
                assertThat(predicted.statusCode()).as("%s version %s predicts: %s", name, version, predicted.body())
                        .isEqualTo(200);
            }
        }
        try (Stream<Path> files = Files.walk(store)) {
            assertThat(files.filter(f -> !f.startsWith(store.resolve(".jobs")))
                    .map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".tmp-")))
                    .as("temp files left by the kill (aged past mcdropout.store.stale-temp-age) are gone after the "
                            + "restart").isEmpty();
        }
        // A training request retried with its key gets its job (finished or interrupted), never a second one.
        for (Map.Entry<String, String> sent : trainingRequests.entrySet()) {
            HttpResponse<String> retried = post(service, "/train", sent.getValue(), sent.getKey());
            if (retried.headers().firstValue("Idempotent-Replayed").isEmpty()) {
                // The kill came before the key was recorded: this is the first request with it, a new job.
                assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
                awaitJob(service, json(retried).get("id").asString());
                continue;
            }
            JsonNode job = json(retried);
            String status = job.get("status").asString();
            if (status.equals("FAILED")) {
                assertThat(job.get("error").get("type").asString()).as(job.toString()).endsWith("/interrupted-by-restart");
            } else {
                assertThat(status).as(job.toString()).isEqualTo("SUCCEEDED");
                int version = job.get("model").get("version").asInt();
                assertThat(get(service, "/models/" + TRAINED + "/versions/" + version).statusCode()).isEqualTo(200);
            }
            if (finishedKeys.containsKey(sent.getKey())) {
                assertThat(job.get("id").asString()).isEqualTo(finishedKeys.get(sent.getKey()));
            }
        }
        trainingRequests.clear();
        for (JsonNode job : json(get(service, "/train/jobs"))) {
            assertThat(job.get("status").asString()).as(job.toString()).isIn("SUCCEEDED", "FAILED", "CANCELLED");
        }
    }

    private void importer(ChildService service, List<byte[]> zips, Random random, AtomicBoolean stop,
                          AtomicReference<String> doing) {
        try {
            while (!stop.get()) {
                int op = random.nextInt(10);
                List<Integer> versions = new ArrayList<>(savedImports.keySet());
                if (op < 5 || versions.isEmpty()) {
                    byte[] zip = zips.get(random.nextInt(zips.size()));
                    doing.set("import");
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(service.uri("/models/" + IMPORTED + "/versions"))
                            .header("Content-Type", "application/zip").header("X-API-Key", KEY)
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    JsonNode v = json(r);
                    assertThat(v.get("sha256").asString()).isEqualTo(sha256(zip));
                    savedImports.put(v.get("version").asInt(), v.get("sha256").asString());
                    if (v.get("active").asBoolean()) {
                        ackedActive = v.get("version").asInt();
                    }
                } else if (op < 8) {
                    int target = versions.get(random.nextInt(versions.size()));
                    doing.set("activation");
                    activationInFlight = target;
                    HttpResponse<String> r = post(service, "/models/" + IMPORTED + "/versions/" + target + "/activate", "", null);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    ackedActive = target;
                    activationInFlight = null;
                } else {
                    int target = versions.get(random.nextInt(versions.size()));
                    if (ackedActive != null && target == ackedActive) {
                        continue;
                    }
                    doing.set("deletion");
                    deletionInFlight = target;
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(service.uri("/models/" + IMPORTED + "/versions/" + target))
                            .header("X-API-Key", KEY).timeout(Duration.ofSeconds(30)).DELETE().build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
                    savedImports.remove(target);
                    deletionInFlight = null;
                }
                doing.set("idle");
            }
        } catch (IOException | InterruptedException e) {
            // the kill
        } catch (Throwable e) {
            clientFailure.compareAndSet(null, e);
        }
    }

    private void trainer(ChildService service, int round, Random random, AtomicBoolean stop,
                         AtomicReference<String> doing) {
        try {
            for (int job = 0; !stop.get(); job++) {
                String key = "crash-" + round + "-" + job;
                String body = trainingBody(TRAINED, random.nextInt(1000), "{\"hiddenLayers\":[8],\"epochs\":"
                        + (5 + random.nextInt(20)) + ",\"seed\":" + random.nextInt(100) + "}");
                trainingRequests.put(key, body);
                doing.set("training");
                HttpResponse<String> r = post(service, "/train?wait=true", body, key);
                JsonNode finished = json(r);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(finished.get("status").asString()).isEqualTo("SUCCEEDED");
                finishedKeys.put(key, finished.get("id").asString());
                int version = finished.get("model").get("version").asInt();
                doing.set("idle");
                HttpResponse<String> metadata = get(service, "/models/" + TRAINED + "/versions/" + version);
                savedTrained.put(version, json(metadata).get("sha256").asString());
            }
        } catch (IOException | InterruptedException e) {
            // the kill
        } catch (Throwable e) {
            clientFailure.compareAndSet(null, e);
        }
    }

    private ChildService start() throws Exception {
        return ChildService.start(store, logs.resolve("service.log"), "--mcdropout.startup.train-default-model=false",
                "--mcdropout.security.api-key=" + KEY, "--mcdropout.default-model=" + IMPORTED,
                "--mcdropout.store.rescan-interval=0", "--mcdropout.training.nice=0")
                .awaitLive(Duration.ofMinutes(3));
    }

    private void awaitJob(ChildService service, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            String status = json(get(service, "/train/jobs/" + id)).get("status").asString();
            if (!status.equals("QUEUED") && !status.equals("RUNNING")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    /** 60 rows of three well separated classes in 4 features, seeded. */
    static String trainingBody(String name, long seed, String hyperparameters) {
        Random random = new Random(seed);
        StringBuilder features = new StringBuilder("[");
        StringBuilder labels = new StringBuilder("[");
        for (int i = 0; i < 60; i++) {
            int c = i % 3;
            features.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < 4; j++) {
                features.append(j == 0 ? "" : ",").append((j == c ? 3.0 : 0.0) + random.nextGaussian());
            }
            features.append(']');
            labels.append(i == 0 ? "" : ",").append('"').append(CLASSES.get(c)).append('"');
        }
        return "{\"name\":\"" + name + "\",\"dataset\":{\"features\":" + features + "],\"labels\":" + labels
                + "]},\"hyperparameters\":" + hyperparameters + "}";
    }

    private HttpResponse<String> get(ChildService service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(service.uri(path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(ChildService service, String path, String body, String idempotencyKey)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(service.uri(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").header("X-API-Key", KEY);
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) {
        return ServiceTestSupport.JSON.readTree(response.body());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
