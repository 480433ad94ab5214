package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.nn.Network;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ModelsControllerTest extends ServiceTestSupport {

    private static final List<String> ABC = List.of("a", "b", "c");

    private HttpResponse<String> importZip(String name, byte[] zip) throws Exception {
        return send(withKey(request("/models/" + name + "/versions")).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    private String rowsOf(int features, int rows) {
        StringBuilder sb = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < rows; i++) {
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < features; j++) {
                sb.append(j == 0 ? "" : ",").append((i * 7 + j * 3) % 5 - 2);
            }
            sb.append(']');
        }
        return sb.append("]}").toString();
    }

    @Test
    void listModelsShowsTheDefaultModelWithItsActiveVersion() throws Exception {
        HttpResponse<String> response = get("/models");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode digits = null;
        for (JsonNode m : json(response)) {
            if (m.get("name").asString().equals("digits")) {
                digits = m;
            }
        }
        assertThat(digits).as(response.body()).isNotNull();
        assertThat(digits.get("versions").get(0).asInt()).isEqualTo(1);
        assertThat(digits.get("activeVersion").asInt()).isEqualTo(1);
    }

    @Test
    void versionMetadataDescribesTheDigitsModelAndItsZip() throws Exception {
        HttpResponse<String> response = get("/models/digits/versions/1");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode meta = json(response);
        assertThat(meta.get("name").asString()).isEqualTo("digits");
        assertThat(meta.get("version").asInt()).isEqualTo(1);
        assertThat(meta.get("active").asBoolean()).isTrue();
        assertThat(meta.get("architecture").get("inputs").asInt()).isEqualTo(64);
        assertThat(meta.get("architecture").get("outputs").asInt()).isEqualTo(10);
        assertThat(meta.get("classes")).hasSize(10);
        assertThat(meta.get("hyperparameters").get("seed").asLong()).isEqualTo(1);
        assertThat(meta.has("history")).isTrue();
        assertThat(meta.get("metrics").has("validationAccuracy")).isTrue();
        assertThat(meta.get("createdAt").asString()).isNotBlank();

        HttpResponse<byte[]> zip = http.send(withKey(request("/models/digits/versions/1/artifact")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(zip.body())))
                .isEqualTo(meta.get("sha256").asString());
    }

    @Test
    void importedArtifactBecomesAVersionThatPredicts() throws Exception {
        Network network = TestArtifacts.network(4, 8, ABC, 11);
        HttpResponse<String> created = importZip("imported", TestArtifacts.zip(network));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode meta = json(created);
        int version = meta.get("version").asInt();
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(
                l -> assertThat(l).endsWith("/models/imported/versions/" + version));
        assertThat(meta.get("classes")).hasSize(3);
        assertThat(meta.get("architecture").get("hiddenLayers").get(0).asInt()).isEqualTo(8);
        assertThat(meta.get("history").get("loss")).hasSize(2);

        HttpResponse<String> predicted = postJson("/predict?mcSamples=50&seed=5&model=imported:" + version, rowsOf(4, 3));
        assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
        JsonNode body = json(predicted);
        assertThat(body.get("classes").get(2).asString()).isEqualTo("c");
        assertThat(Set.of("a", "b", "c")).contains(body.get("predictions").get(0).get("predictedClass").asString());
    }

    @Test
    void versionNumbersAreNeverReusedAfterADelete() throws Exception {
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 1));
        int first = json(importZip("numbers", zip)).get("version").asInt();
        int second = json(importZip("numbers", zip)).get("version").asInt();
        assertThat(second).isEqualTo(first + 1);

        HttpResponse<String> deleted = send(withKey(request("/models/numbers/versions/" + second)).DELETE());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
        assertThat(get("/models/numbers/versions/" + second).statusCode()).isEqualTo(404);

        int third = json(importZip("numbers", zip)).get("version").asInt();
        assertThat(third).isEqualTo(second + 1);
    }

    @Test
    void concurrentImportsOfOneModelGetDistinctConsecutiveVersions() throws Exception {
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 8));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> imports = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                imports.add(pool.submit(() -> {
                    HttpResponse<String> r = importZip("race", zip);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    return json(r).get("version").asInt();
                }));
            }
            List<Integer> versions = new ArrayList<>();
            for (Future<Integer> f : imports) {
                versions.add(f.get());
            }
            assertThat(versions).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
        } finally {
            pool.shutdownNow();
        }
        JsonNode listed = null;
        for (JsonNode m : json(get("/models"))) {
            if (m.get("name").asString().equals("race")) {
                listed = m;
            }
        }
        assertThat(listed.get("versions")).hasSize(6);
        assertThat(listed.get("activeVersion").asInt()).isBetween(1, 6);
    }

    @Test
    void theActiveVersionCannotBeDeleted() throws Exception {
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 2));
        int first = json(importZip("guarded", zip)).get("version").asInt();
        HttpResponse<String> response = send(withKey(request("/models/guarded/versions/" + first)).DELETE());
        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).get("detail").asString()).contains("active");
        assertThat(get("/models/guarded/versions/" + first).statusCode()).isEqualTo(200);
    }

    @Test
    void activationSwitchesWhichVersionAnswers() throws Exception {
        int v1 = json(importZip("switch", TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 3)))).get("version").asInt();
        int v2 = json(importZip("switch", TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 4)))).get("version").asInt();
        assertThat(json(postJson("/predict?model=switch", rowsOf(3, 1))).get("model").get("version").asInt()).isEqualTo(v1);

        HttpResponse<String> activated = send(withKey(request("/models/switch/versions/" + v2 + "/activate"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
        assertThat(json(activated).get("active").asBoolean()).isTrue();
        assertThat(json(postJson("/predict?model=switch", rowsOf(3, 1))).get("model").get("version").asInt()).isEqualTo(v2);
        JsonNode listed = null;
        for (JsonNode m : json(get("/models"))) {
            if (m.get("name").asString().equals("switch")) {
                listed = m;
            }
        }
        assertThat(listed.get("activeVersion").asInt()).isEqualTo(v2);
    }

    @Test
    void activationWhilePredictionsRunGivesEveryAnswerFromTheOldOrTheNewVersion() throws Exception {
        byte[] oldZip = TestArtifacts.zip(TestArtifacts.network(6, 16, ABC, 21));
        byte[] newZip = TestArtifacts.zip(TestArtifacts.network(6, 16, ABC, 22));
        int oldVersion = json(importZip("hotswap", oldZip)).get("version").asInt();
        int newVersion = json(importZip("hotswap", newZip)).get("version").asInt();
        String body = rowsOf(6, 20);
        // Each version's answer for this seed, computed while nothing else changes.
        String oldAnswer = json(postJson("/predict?mcSamples=40&seed=9&model=hotswap:" + oldVersion, body)).get("predictions").toString();
        String newAnswer = json(postJson("/predict?mcSamples=40&seed=9&model=hotswap:" + newVersion, body)).get("predictions").toString();
        assertThat(newAnswer).isNotEqualTo(oldAnswer);

        AtomicBoolean stop = new AtomicBoolean();
        Set<Integer> versionsSeen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> clients = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                clients.add(pool.submit(() -> {
                    int answered = 0;
                    while (!stop.get() || answered < 5) {
                        HttpResponse<String> r = postJson("/predict?mcSamples=40&seed=9&model=hotswap", body);
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        JsonNode j = json(r);
                        int v = j.get("model").get("version").asInt();
                        versionsSeen.add(v);
                        assertThat(j.get("predictions").toString()).isEqualTo(v == oldVersion ? oldAnswer : newAnswer);
                        answered++;
                    }
                    return answered;
                }));
            }
            for (int i = 0; i < 6; i++) {
                int target = i % 2 == 0 ? newVersion : oldVersion;
                HttpResponse<String> r = send(withKey(request("/models/hotswap/versions/" + target + "/activate"))
                        .POST(HttpRequest.BodyPublishers.noBody()));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                Thread.sleep(30);
            }
            stop.set(true);
            int total = 0;
            for (Future<Integer> f : clients) {
                total += f.get();
            }
            assertThat(total).isGreaterThanOrEqualTo(15);
            assertThat(versionsSeen).isSubsetOf(oldVersion, newVersion);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void mutatingEndpointsRequireTheApiKey() throws Exception {
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(3, 5, ABC, 5));
        HttpResponse<String> missing = send(request("/models/keyed/versions").header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
        assertThat(missing.statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = send(request("/models/digits/versions/1/activate").header("X-API-Key", "nope")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(json(wrong).get("detail").asString()).contains("X-API-Key");
        HttpResponse<String> delete = send(request("/models/digits/versions/1").DELETE());
        assertThat(delete.statusCode()).isEqualTo(401);
        assertThat(get("/models/keyed/versions/1").statusCode()).isEqualTo(404);
    }
}
