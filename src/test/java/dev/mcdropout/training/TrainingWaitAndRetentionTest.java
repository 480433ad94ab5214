package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** {@code ?wait=true} gives up after {@code wait-timeout}; only {@code retained-jobs} finished jobs are listed. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
        "mcdropout.training.wait-timeout=1s",
        "mcdropout.training.retained-jobs=2",
})
class TrainingWaitAndRetentionTest extends TrainingTestSupport {

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @Test
    void waitGivesUpAfterTheTimeoutWith202AndTheJobStillRunning() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = postJson("/train?wait=true", trainJson("slow", blobs(400, 31).datasetJson(),
                "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4}"));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(r.statusCode()).isEqualTo(202);
        String id = json(r).get("id").asString();
        assertThat(r.headers().firstValue("Location")).hasValue("/train/jobs/" + id);
        assertThat(json(r).get("status").asString()).isIn("QUEUED", "RUNNING");
        assertThat(seconds).as("held for about the wait timeout").isGreaterThanOrEqualTo(1.0);
        assertThat(json(delete("/train/jobs/" + id)).get("status").asString()).isEqualTo("CANCELLED");
    }

    @Test
    void onlyTheNewestFinishedJobsAreKept() throws Exception {
        String data = blobs(5, 32).datasetJson();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode job = json(postJson("/train", trainJson("kept-" + i, data, "{\"epochs\":1}")));
            ids.add(job.get("id").asString());
            assertThat(awaitFinished(job.get("id").asString(), Duration.ofMinutes(1)).get("status").asString())
                    .isEqualTo("SUCCEEDED");
        }
        List<String> listed = new ArrayList<>();
        json(get("/train/jobs")).forEach(j -> listed.add(j.get("id").asString()));
        assertThat(listed).hasSizeLessThanOrEqualTo(2).containsExactly(ids.get(2), ids.get(1));
        assertThat(get("/train/jobs/" + ids.get(0)).statusCode()).isEqualTo(404);
        // forgetting the job record forgets nothing in the store
        assertThat(files(store)).contains("kept-0/1.zip", "kept-1/1.zip", "kept-2/1.zip");
    }
}
