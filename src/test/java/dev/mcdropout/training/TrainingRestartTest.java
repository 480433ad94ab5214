package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

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
}
