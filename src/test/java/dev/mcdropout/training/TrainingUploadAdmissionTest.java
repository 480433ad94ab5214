package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Training uploads are checked against the queue before they are read, and multipart bodies against
 * {@code mcdropout.limits.max-training-body} even when they arrive chunked (Tomcat parses a form from its own
 * stream, past the service's counting filter).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
        "mcdropout.security.api-key=" + TrainingTestSupport.API_KEY,
        "mcdropout.limits.max-training-body=1MB",
        "mcdropout.training.concurrency=1",
        "mcdropout.training.queue-capacity=0",
        "mcdropout.training.retry-after=7s",
})
class TrainingUploadAdmissionTest extends TrainingTestSupport {

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @Test
    void aFullQueueAnswers429BeforeTheBodyIsRead() throws Exception {
        HttpResponse<String> started = postJson("/train", trainJson("busy", blobs(200, 3).datasetJson(),
                "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4}"));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = json(started).get("id").asString();
        try {
            awaitRunning(id);
            // Bodies that could not even be parsed: the queue's answer comes first, so neither was read.
            HttpResponse<String> json = postJson("/train", "{\"name\": \"x\", \"dataset\": {\"features\": [[1, 2");
            assertThat(json.statusCode()).as(json.body()).isEqualTo(429);
            assertThat(json.headers().firstValue("Retry-After")).hasValue("7");
            assertThat(json(json).get("type").asString()).endsWith("/training-queue-full");

            Multipart broken = new Multipart().field("name", "x").file("data", "x.csv", "text/csv", "not,a\ncsv");
            HttpResponse<String> csv = send(HttpRequest.newBuilder(uri("/train/csv"))
                    .header("Content-Type", broken.contentType().replace("boundary=", "boundary=wrong"))
                    .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofByteArray(broken.bytes())));
            assertThat(csv.statusCode()).as(csv.body()).isEqualTo(429);

            // The key is checked before the queue: a client without it learns nothing about the queue.
            HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri("/train"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertThat(anonymous.statusCode()).isEqualTo(401);
        } finally {
            delete("/train/jobs/" + id);
        }
        awaitFinished(id, java.time.Duration.ofMinutes(1));
    }

    /**
     * A client that timed out and retries with its Idempotency-Key while the queue is full gets its job back, as it
     * would with room in the queue: the running job itself, and a finished job from before, each with
     * Idempotent-Replayed; the known key with other content is still a 422. Only a key never seen meets the 429.
     */
    @Test
    void aRetryWithAKnownIdempotencyKeyGetsItsJobEvenWhenTheQueueIsFull() throws Exception {
        String doneBody = trainJson("done", blobs(10, 4).datasetJson(), "{\"epochs\":2}");
        HttpResponse<String> done = postWithKey("/train?wait=true", doneBody, "finished-before");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        String doneId = json(done).get("id").asString();

        String busyBody = trainJson("busy-keyed", blobs(200, 3).datasetJson(),
                "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4}");
        // The finished job's worker thread may still be winding down after wait=true answered (with no queue,
        // a start meets the 429 until it has): set-up only, so it waits for that, at most 10 s.
        HttpResponse<String> started = postWithKey("/train", busyBody, "keyed-busy");
        for (int i = 0; i < 100 && started.statusCode() == 429; i++) {
            Thread.sleep(100);
            started = postWithKey("/train", busyBody, "keyed-busy");
        }
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = json(started).get("id").asString();
        try {
            awaitRunning(id);
            HttpResponse<String> retried = postWithKey("/train", busyBody, "keyed-busy");
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
            assertThat(retried.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retried.headers().firstValue("Location")).hasValue("/train/jobs/" + id);
            assertThat(json(retried).get("id").asString()).isEqualTo(id);

            HttpResponse<String> replayedDone = postWithKey("/train", doneBody, "finished-before");
            assertThat(replayedDone.statusCode()).as(replayedDone.body()).isEqualTo(202);
            assertThat(replayedDone.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(json(replayedDone).get("id").asString()).isEqualTo(doneId);
            assertThat(json(replayedDone).get("status").asString()).isEqualTo("SUCCEEDED");

            HttpResponse<String> reused = postWithKey("/train", doneBody, "keyed-busy");
            assertThat(reused.statusCode()).as(reused.body()).isEqualTo(422);
            assertThat(json(reused).get("type").asString()).endsWith("/idempotency-key-reused");

            HttpResponse<String> fresh = postWithKey("/train", doneBody, "never-seen");
            assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(429);
            assertThat(json(fresh).get("type").asString()).endsWith("/training-queue-full");
        } finally {
            delete("/train/jobs/" + id);
        }
        awaitFinished(id, java.time.Duration.ofMinutes(1));
    }

    @Test
    void aChunkedMultipartUploadOverTheTrainingBodyLimitIs413() throws Exception {
        StringBuilder csv = new StringBuilder("x1,x2,label\n");
        while (csv.length() < 1_300_000) {
            csv.append("1.0,2.0,a\n3.0,4.0,b\n");
        }
        Multipart form = new Multipart().field("name", "big").file("data", "big.csv", "text/csv", csv.toString());
        byte[] body = form.bytes();
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/train/csv")).header("Content-Type", form.contentType())
                .header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(r).get("errors").get(0).asString()).isEqualTo("mcdropout.limits.max-training-body");
        assertThat(json(r).get("detail").asString()).contains("1 MiB");
    }

    private HttpResponse<String> postWithKey(String path, String body, String key) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("X-API-Key", API_KEY).header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
