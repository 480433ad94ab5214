package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** Training jobs on a real server: JSON and CSV uploads, polling, prediction, cancellation, queueing, swaps. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.security.api-key=" + TrainingTestSupport.API_KEY,
        "mcdropout.startup.train-default-model=false",
        "mcdropout.training.concurrency=1",
        "mcdropout.training.queue-capacity=1",
        "mcdropout.training.retry-after=7s",
})
class TrainingJobsTest extends TrainingTestSupport {

    private static final Duration FINISH = Duration.ofMinutes(3);
    /** Runs until cancelled: many epochs, no early stopping, tiny batches. */
    private static final String ENDLESS = "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4,\"hiddenLayers\":[32]}";

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @AfterEach
    void cancelLeftovers() throws Exception {
        for (JsonNode job : json(get("/train/jobs"))) {
            String status = job.get("status").asString();
            if (status.equals("QUEUED") || status.equals("RUNNING")) {
                delete("/train/jobs/" + job.get("id").asString());
            }
        }
    }

    @Test
    void trainFromJsonPollToCompletionAndPredictWithTheNewModel() throws Exception {
        Blobs data = blobs(30, 1);
        HttpResponse<String> posted = postJson("/train", trainJson("blobs-json", data.datasetJson(),
                "{\"epochs\":40,\"hiddenLayers\":[16],\"dropout\":0.1,\"seed\":3}"));
        assertThat(posted.statusCode()).isEqualTo(202);
        JsonNode job = json(posted);
        String id = job.get("id").asString();
        assertThat(posted.headers().firstValue("Location")).hasValue("/train/jobs/" + id);
        assertThat(job.get("name").asString()).isEqualTo("blobs-json");
        assertThat(job.get("status").asString()).isIn("QUEUED", "RUNNING");
        assertThat(job.get("epochs").asInt()).isEqualTo(40);
        assertThat(job.get("createdAt").asString()).isNotEmpty();

        JsonNode done = awaitFinished(id, FINISH);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("model").get("name").asString()).isEqualTo("blobs-json");
        assertThat(done.get("model").get("version").asInt()).isEqualTo(1);
        int epochs = done.get("epoch").asInt();
        assertThat(epochs).isBetween(1, 40);
        JsonNode history = done.get("history");
        for (String series : List.of("loss", "trainAccuracy", "validationAccuracy", "validationLoss")) {
            assertThat(history.get(series).size()).as(series).isEqualTo(epochs);
        }
        assertThat(done.get("startedAt").asString()).isNotEmpty();
        assertThat(done.get("finishedAt").asString()).isNotEmpty();
        assertThat(done.has("error")).isFalse();
        assertThat(files(store)).contains("blobs-json/1.zip");

        Blobs unseen = blobs(20, 99);
        JsonNode answer = json(postJson("/predict?model=blobs-json&mcSamples=30&seed=5", instances(unseen.rows())));
        assertThat(answer.get("model").get("version").asInt()).isEqualTo(1);
        assertThat(answer.get("classes").toString()).isEqualTo("[\"a\",\"b\",\"c\"]");
        assertThat(accuracy(answer, unseen.labels())).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void trainFromCsvUploadWithANamedLabelColumn() throws Exception {
        Blobs data = blobs(30, 2);
        HttpResponse<String> posted = postMultipart("/train", new Multipart()
                .file("data", "blobs.csv", "text/csv", data.csv())
                .field("name", "blobs-csv")
                .field("labelColumn", "species")
                .field("hyperparameters", "{\"epochs\":40,\"hiddenLayers\":[16],\"dropout\":[0.1]}"));
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        JsonNode job = json(posted);
        assertThat(job.get("rows").asInt()).isEqualTo(90);
        assertThat(job.get("features").asInt()).isEqualTo(4);
        assertThat(job.get("classes").toString()).isEqualTo("[\"a\",\"b\",\"c\"]");

        JsonNode done = awaitFinished(job.get("id").asString(), FINISH);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        Blobs unseen = blobs(20, 98);
        JsonNode answer = json(postJson("/predict?model=blobs-csv&mcSamples=30", instances(unseen.rows())));
        assertThat(answer.get("model").get("version").asInt()).isEqualTo(done.get("model").get("version").asInt());
        assertThat(accuracy(answer, unseen.labels())).isGreaterThanOrEqualTo(0.9);
        JsonNode metadata = json(get("/models/blobs-csv/versions/1"));
        assertThat(metadata.toString()).contains("\"hiddenLayers\":[16]");
    }

    @Test
    void cancelARunningJobSavesNothing() throws Exception {
        JsonNode job = json(postJson("/train", trainJson("blobs-cancel", blobs(400, 3).datasetJson(), ENDLESS)));
        String id = job.get("id").asString();
        awaitRunning(id);

        HttpResponse<String> cancelled = delete("/train/jobs/" + id);
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(json(cancelled).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(json(get("/train/jobs/" + id)).get("finishedAt").asString()).isNotEmpty();
        assertThat(files(store)).noneMatch(f -> f.startsWith("blobs-cancel"));
        assertThat(get("/models/blobs-cancel/versions/1").statusCode()).isEqualTo(404);

        HttpResponse<String> again = delete("/train/jobs/" + id);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    }

    @Test
    void aJobWhileAnotherRunsQueuesAndAFullQueueGets429() throws Exception {
        String running = json(postJson("/train", trainJson("blobs-busy", blobs(400, 4).datasetJson(), ENDLESS)))
                .get("id").asString();
        awaitRunning(running);

        HttpResponse<String> second = postJson("/train", trainJson("blobs-waiting", blobs(10, 5).datasetJson(), null));
        assertThat(second.statusCode()).isEqualTo(202);
        String queued = json(second).get("id").asString();
        Thread.sleep(200);
        JsonNode waiting = json(get("/train/jobs/" + queued));
        assertThat(waiting.get("status").asString()).isEqualTo("QUEUED");
        assertThat(waiting.has("startedAt")).isFalse();

        HttpResponse<String> third = postJson("/train", trainJson("blobs-refused", blobs(10, 6).datasetJson(), null));
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(third.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(third.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(json(third).get("detail").asString()).contains("queue-capacity");

        // cancelling the queued job frees its slot at once
        HttpResponse<String> cancelled = delete("/train/jobs/" + queued);
        assertThat(json(cancelled).get("status").asString()).isEqualTo("CANCELLED");
        HttpResponse<String> fourth = postJson("/train", trainJson("blobs-later", blobs(10, 7).datasetJson(), null));
        assertThat(fourth.statusCode()).isEqualTo(202);
        delete("/train/jobs/" + json(fourth).get("id").asString());
        assertThat(json(delete("/train/jobs/" + running)).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(files(store)).noneMatch(f -> f.startsWith("blobs-busy") || f.startsWith("blobs-waiting")
                || f.startsWith("blobs-later") || f.startsWith("blobs-refused"));
        assertThat(management("/actuator/prometheus").body()).contains("mcdropout_training_jobs_rejected_total");
    }

    @Test
    void predictionsDuringTrainingAreAnsweredByThePreviousVersion() throws Exception {
        Blobs small = blobs(30, 8);
        HttpResponse<String> first = postJson("/train?wait=true", trainJson("blobs-swap", small.datasetJson(),
                "{\"epochs\":20,\"hiddenLayers\":[8]}"));
        assertThat(first.statusCode()).as("wait=true answers with the finished job").isEqualTo(200);
        assertThat(json(first).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(json(first).get("model").get("version").asInt()).isEqualTo(1);

        String id = json(postJson("/train", trainJson("blobs-swap", blobs(200, 9).datasetJson(),
                "{\"epochs\":40,\"earlyStoppingPatience\":0,\"batchSize\":16,\"hiddenLayers\":[32]}"))).get("id").asString();
        awaitRunning(id);
        String probe = instances(blobs(2, 10).rows());
        int duringTraining = 0;
        int newest = 1;
        while (true) {
            String status = json(get("/train/jobs/" + id)).get("status").asString();
            if (!status.equals("RUNNING")) {
                break;
            }
            // Asked while the job ran: version 1 until version 2 is published (the job reports SUCCEEDED only
            // after that, so a prediction may meet version 2 just before the status changes), never back.
            int version = json(postJson("/predict?model=blobs-swap&mcSamples=10", probe)).get("model").get("version").asInt();
            assertThat(version).isBetween(newest, 2);
            newest = version;
            if (version == 1) {
                duringTraining++;
            }
        }
        assertThat(duringTraining).isPositive();
        JsonNode done = awaitFinished(id, FINISH);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("model").get("version").asInt()).isEqualTo(2);
        assertThat(json(postJson("/predict?model=blobs-swap&mcSamples=10", probe)).get("model").get("version").asInt())
                .isEqualTo(2);
    }

    @Test
    void activateFalseSavesAVersionWithoutServingIt() throws Exception {
        Blobs data = blobs(20, 11);
        assertThat(postJson("/train?wait=true", trainJson("blobs-staged", data.datasetJson(), "{\"epochs\":5}"))
                .statusCode()).isEqualTo(200);
        HttpResponse<String> staged = postJson("/train?wait=true", "{\"name\":\"blobs-staged\",\"activate\":false,"
                + "\"dataset\":" + data.datasetJson() + ",\"hyperparameters\":{\"epochs\":5}}");
        assertThat(json(staged).get("model").get("version").asInt()).isEqualTo(2);
        assertThat(json(staged).get("activate").asBoolean()).isFalse();
        assertThat(json(postJson("/predict?model=blobs-staged", instances(data.rows()))).get("model").get("version")
                .asInt()).isEqualTo(1);
        assertThat(files(store)).contains("blobs-staged/1.zip", "blobs-staged/2.zip");
    }

    @Test
    void aJobThatFailsReportsAProblemAndSavesNothing() throws Exception {
        // values near Double.MAX_VALUE overflow the FLOAT network (and its standardisation) at once
        String huge = "{\"features\":[[1e300,1],[-1e300,2],[1e300,3],[-1e300,4]],\"labels\":[\"a\",\"b\",\"a\",\"b\"]}";
        HttpResponse<String> posted = postJson("/train?wait=true", trainJson("blobs-broken", huge,
                "{\"epochs\":3,\"validationFraction\":0}"));
        JsonNode job = json(posted);
        assertThat(job.get("status").asString()).as(posted.body()).isEqualTo("FAILED");
        assertThat(job.get("error").get("status").asInt()).isBetween(400, 599);
        assertThat(job.get("error").get("detail").asString()).isNotEmpty();
        assertThat(job.has("model")).isFalse();
        assertThat(files(store)).noneMatch(f -> f.startsWith("blobs-broken"));
    }

    @Test
    void mutatingTrainingEndpointsNeedTheApiKey() throws Exception {
        HttpResponse<String> noKey = http.send(java.net.http.HttpRequest.newBuilder(uri("/train"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(trainJson("nokey", blobs(5, 1).datasetJson(), null)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noKey.statusCode()).isEqualTo(401);
        HttpResponse<String> wrongKey = http.send(java.net.http.HttpRequest.newBuilder(uri("/train/jobs/x"))
                .header("X-API-Key", "wrong").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongKey.statusCode()).isEqualTo(403);
        assertThat(get("/train/jobs").statusCode()).as("reading jobs is open").isEqualTo(200);
    }

    @Test
    void jobsAreListedNewestFirstAndMetricsAndOpenApiDescribeThem() throws Exception {
        Blobs data = blobs(10, 12);
        String a = json(postJson("/train?wait=true", trainJson("blobs-list", data.datasetJson(), "{\"epochs\":2}"))).get("id").asString();
        String b = json(postJson("/train?wait=true", trainJson("blobs-list", data.datasetJson(), "{\"epochs\":2}"))).get("id").asString();
        List<String> ids = new ArrayList<>();
        json(get("/train/jobs")).forEach(j -> ids.add(j.get("id").asString()));
        assertThat(ids.indexOf(b)).isNotNegative().isLessThan(ids.indexOf(a));

        String prometheus = management("/actuator/prometheus").body();
        assertThat(prometheus).contains("mcdropout_training_jobs_finished_total{", "status=\"succeeded\"",
                "mcdropout_training_jobs_active{", "mcdropout_training_epoch_duration_seconds_count",
                "mcdropout_training_rows_sum");

        JsonNode api = json(get("/v3/api-docs"));
        JsonNode train = api.get("paths").get("/train").get("post");
        assertThat(train.get("operationId").asString()).isEqualTo("train");
        assertThat(train.get("requestBody").get("content").has("application/json")).isTrue();
        assertThat(train.get("requestBody").get("content").has("multipart/form-data")).isTrue();
        assertThat(train.get("responses").get("429").get("content").has("application/problem+json")).isTrue();
        assertThat(api.get("paths").get("/train/jobs/{id}").get("get").get("operationId").asString()).isEqualTo("getTrainingJob");
        assertThat(api.get("paths").get("/train/jobs/{id}").get("delete").get("operationId").asString()).isEqualTo("cancelTrainingJob");
        assertThat(api.get("paths").get("/train/jobs").get("get").get("operationId").asString()).isEqualTo("listTrainingJobs");
    }

    /**
     * A client that retries with the same Idempotency-Key gets the job its first request made, whether the body
     * is byte for byte the same or only means the same, and concurrent retries make one job; the same key for
     * another request is a 422, and a key that is not 1 to 255 visible ASCII characters a 400.
     */
    @Test
    void retriesWithAnIdempotencyKeyGetTheFirstJobAndNeverTrainTwice() throws Exception {
        Blobs data = blobs(10, 21);
        String body = trainJson("blobs-idem", data.datasetJson(), "{\"epochs\":3,\"seed\":5}");
        HttpResponse<String> first = postWithKey("/train", body, "retry-me-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        String id = json(first).get("id").asString();

        HttpResponse<String> again = postWithKey("/train", body, "retry-me-1");
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(again.headers().firstValue("Location")).hasValue("/train/jobs/" + id);
        assertThat(json(again).get("id").asString()).isEqualTo(id);
        // Another spelling of the same request (whitespace, member order, a default spelt out) is the same request.
        String respelt = "{ \"hyperparameters\" : {\"seed\": 5, \"epochs\": 3}, \"activate\": true, \"name\": \"blobs-idem\", "
                + "\"dataset\": " + data.datasetJson() + " }";
        HttpResponse<String> waited = postWithKey("/train?wait=true", respelt, "retry-me-1");
        assertThat(waited.statusCode()).as(waited.body()).isEqualTo(200);
        assertThat(json(waited).get("id").asString()).isEqualTo(id);
        assertThat(json(waited).get("status").asString()).isEqualTo("SUCCEEDED");

        HttpResponse<String> other = postWithKey("/train", trainJson("blobs-idem", data.datasetJson(),
                "{\"epochs\":4,\"seed\":5}"), "retry-me-1");
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(other.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(other).get("type").asString()).endsWith("/idempotency-key-reused");
        assertThat(json(other).get("errors").get(0).asString()).isEqualTo("Idempotency-Key");

        HttpResponse<String> invalid = postWithKey("/train", body, "has spaces in it");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(json(invalid).get("type").asString()).endsWith("/invalid-idempotency-key");

        // Four clients racing with one new key: one job.
        String racing = trainJson("blobs-idem", data.datasetJson(), "{\"epochs\":2,\"seed\":6}");
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> racers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            racers.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(uri("/train?wait=true"))
                    .header("Content-Type", "application/json").header("X-API-Key", API_KEY)
                    .header("Idempotency-Key", "race-1").POST(java.net.http.HttpRequest.BodyPublishers.ofString(racing))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        java.util.Set<String> raced = new java.util.HashSet<>();
        int replayed = 0;
        for (var racer : racers) {
            HttpResponse<String> r = racer.get();
            assertThat(r.statusCode()).as(r.body()).isIn(200, 202);
            raced.add(json(r).get("id").asString());
            replayed += r.headers().firstValue("Idempotent-Replayed").isPresent() ? 1 : 0;
        }
        assertThat(raced).hasSize(1);
        assertThat(replayed).isEqualTo(3);
        awaitFinished(raced.iterator().next(), FINISH);
        // Trained once per key: versions 1 (retry-me-1) and 2 (race-1).
        assertThat(json(get("/models/blobs-idem/versions/2")).get("version").asInt()).isEqualTo(2);
        assertThat(get("/models/blobs-idem/versions/3").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> postWithKey(String path, String body, String key) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("X-API-Key", API_KEY).header("Idempotency-Key", key)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static double accuracy(JsonNode answer, List<String> labels) {
        int correct = 0;
        JsonNode predictions = answer.get("predictions");
        for (int i = 0; i < labels.size(); i++) {
            if (predictions.get(i).get("predictedClass").asString().equals(labels.get(i))) {
                correct++;
            }
        }
        return (double) correct / labels.size();
    }
}
