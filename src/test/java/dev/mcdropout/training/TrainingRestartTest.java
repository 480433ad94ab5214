package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Stops and restarts a real server on the same store: every version a job reported as SUCCEEDED is there
 * after the restart (and the active one is served), a job that was still running at shutdown left nothing,
 * and every job's record is still reported after the restart: SUCCEEDED with its version, or CANCELLED.
 */
class TrainingRestartTest extends TrainingTestSupport {

    @TempDir
    Path store;

    private String running;

    private ConfigurableApplicationContext start() {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(McDropoutApplication.class).run(
                "--server.port=0",
                "--management.server.port=0",
                "--mcdropout.store.dir=" + store,
                "--mcdropout.startup.train-default-model=false",
                "--mcdropout.security.api-key=" + API_KEY,
                "--spring.jmx.enabled=false");
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        return context;
    }

    @Test
    void restartKeepsEveryModelReportedAsSucceeded() throws Exception {
        Blobs data = blobs(20, 21);
        List<Integer> reported = new ArrayList<>();
        try (ConfigurableApplicationContext first = start()) {
            for (String body : List.of(
                    trainJson("kept", data.datasetJson(), "{\"epochs\":5}"),
                    trainJson("kept", data.datasetJson(), "{\"epochs\":5,\"seed\":2}"),
                    "{\"name\":\"kept\",\"activate\":false,\"dataset\":" + data.datasetJson() + ",\"hyperparameters\":{\"epochs\":3}}")) {
                String id = json(postJson("/train", body)).get("id").asString();
                JsonNode job = awaitFinished(id, Duration.ofMinutes(2));
                assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                reported.add(job.get("model").get("version").asInt());
            }
            // a job still running when the service stops is cancelled and leaves no files
            running = json(postJson("/train", trainJson("interrupted", blobs(400, 22).datasetJson(),
                    "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4}"))).get("id").asString();
            awaitRunning(running);
        }
        assertThat(reported).containsExactly(1, 2, 3);
        String running = this.running;
        assertThat(files(store)).noneMatch(f -> f.startsWith("interrupted"));

        try (ConfigurableApplicationContext second = start()) {
            JsonNode models = json(get("/models"));
            JsonNode kept = null;
            for (JsonNode m : models) {
                if (m.get("name").asString().equals("kept")) {
                    kept = m;
                }
            }
            assertThat(kept).as(models.toString()).isNotNull();
            assertThat(kept.get("activeVersion").asInt()).isEqualTo(2);
            List<Integer> versions = new ArrayList<>();
            kept.get("versions").forEach(v -> versions.add(v.isInt() ? v.asInt() : v.get("version").asInt()));
            assertThat(versions).containsAll(reported);
            HttpResponse<String> answer = postJson("/predict?model=kept&mcSamples=5", instances(data.rows()));
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(json(answer).get("model").get("version").asInt()).isEqualTo(2);
            // The job records are in the store: each finished job is reported as it ended, with its version.
            JsonNode jobs = json(get("/train/jobs"));
            assertThat(jobs.size()).as(jobs.toString()).isEqualTo(4);
            List<Integer> recorded = new ArrayList<>();
            for (JsonNode job : jobs) {
                if (job.get("name").asString().equals("kept")) {
                    assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                    recorded.add(job.get("model").get("version").asInt());
                    assertThat(job.get("history").get("loss").size()).isPositive();
                } else {
                    assertThat(job.get("id").asString()).isEqualTo(running);
                    assertThat(job.get("status").asString()).as("stopped by the shutdown").isEqualTo("CANCELLED");
                    assertThat(job.has("finishedAt")).isTrue();
                }
            }
            assertThat(recorded).containsExactlyInAnyOrderElementsOf(reported);
            assertThat(json(get("/train/jobs/" + running)).get("status").asString()).isEqualTo("CANCELLED");
        }
    }

    /**
     * A kill -9 after a job saved its version and before it recorded SUCCEEDED leaves a RUNNING record of a
     * process that is gone beside the version. The store is put in exactly that state (a real job's version and
     * its record as it stood before the last write) and a new server started on it: the job is reported
     * SUCCEEDED with that version and its history, not interrupted; a job with no version is still interrupted.
     */
    @Test
    void aJobWhoseVersionWasSavedBeforeACrashIsReportedSucceededAfterRestart() throws Exception {
        Blobs data = blobs(20, 23);
        String id;
        try (ConfigurableApplicationContext first = start()) {
            id = json(postJson("/train", trainJson("crashed", data.datasetJson(), "{\"epochs\":4}"))).get("id").asString();
            assertThat(awaitFinished(id, Duration.ofMinutes(2)).get("status").asString()).isEqualTo("SUCCEEDED");
        }
        Path records = store.resolve(".jobs");
        Path record = records.resolve(id + ".json");
        ObjectNode before = (ObjectNode) JSON.readTree(Files.readString(record));
        // The record as it stood while the job ran, owned by a process that is gone (no live owner lock).
        before.put("status", "RUNNING");
        before.remove("model");
        before.remove("finishedAt");
        before.put("owner", UUID.randomUUID().toString());
        Files.writeString(record, before.toString());
        String neverSaved = UUID.randomUUID().toString();
        before.put("id", neverSaved);
        before.remove("idempotencyKey");
        Files.writeString(records.resolve(neverSaved + ".json"), before.toString());

        try (ConfigurableApplicationContext second = start()) {
            JsonNode job = json(get("/train/jobs/" + id));
            assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("model").get("name").asString()).isEqualTo("crashed");
            assertThat(job.get("model").get("version").asInt()).isEqualTo(1);
            assertThat(job.has("error")).isFalse();
            assertThat(job.has("finishedAt")).isTrue();
            assertThat(job.get("history").get("loss").size()).isEqualTo(job.get("epoch").asInt()).isPositive();

            JsonNode interrupted = json(get("/train/jobs/" + neverSaved));
            assertThat(interrupted.get("status").asString()).isEqualTo("FAILED");
            assertThat(interrupted.get("error").get("type").asString()).endsWith("/interrupted-by-restart");
        }
        // The reconciliation was recorded: a third start reads SUCCEEDED straight from the record.
        assertThat(JSON.readTree(Files.readString(record)).get("status").asString()).isEqualTo("SUCCEEDED");
    }
}
