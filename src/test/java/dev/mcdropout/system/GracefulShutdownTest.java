package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ChildService;
import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.Standardization;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import tools.jackson.databind.JsonNode;

/**
 * SIGTERM, as {@code docker stop} and Kubernetes send it, to a service with the shipped shutdown settings
 * (drain-delay 1 s, web drain 6 s, grace-period 9 s, inside Docker's 10 s) that is training and predicting:
 * readiness answers 503 while the process still serves, the predictions in flight complete, the training job
 * is cancelled and its record says CANCELLED, and the process exits on its own (exit code 143, not the
 * watchdog's halt) within the grace period. The service logs as JSON here
 * ({@code logging.structured.format.console=ecs}), every line, with the request id on the lines a request caused.
 */
class GracefulShutdownTest {

    private static final String KEY = "shutdown-test-key";
    private static final Duration GRACE = Duration.ofSeconds(9);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path store;

    @TempDir
    Path logs;

    @Test
    void onSigtermReadinessGoesDownInFlightPredictionsCompleteTheJobIsCancelledAndTheProcessExitsInTime() throws Exception {
        writeModel(store);
        Path log = logs.resolve("service.log");
        try (ChildService service = ChildService.start(store, log, "--mcdropout.startup.train-default-model=false",
                "--mcdropout.default-model=mid", "--mcdropout.security.api-key=" + KEY,
                "--mcdropout.predict.max-concurrent=1", "--mcdropout.store.rescan-interval=0",
                "--logging.structured.format.console=ecs").awaitReady(Duration.ofMinutes(3))) {
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(service.uri("/train"))
                    .header("Content-Type", "application/json").header("X-API-Key", KEY)
                    .header("X-Request-Id", "sigterm-train-1")
                    .POST(HttpRequest.BodyPublishers.ofString(CrashSafetyTest.trainingBody("endless", 5,
                            "{\"epochs\":10000,\"earlyStoppingPatience\":0,\"batchSize\":4}"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
            String job = json(posted.body()).get("id").asString();
            awaitStatus(service, job, "RUNNING");

            // Two predictions: one computing, one waiting for the only slot.
            String rows = rows(50);
            List<CompletableFuture<HttpResponse<String>>> predictions = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                predictions.add(http.sendAsync(HttpRequest.newBuilder(service.uri("/predict?mcSamples=400&seed=" + i))
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(rows)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            awaitInFlight(service);
            boolean pendingAtSigterm = predictions.stream().anyMatch(p -> !p.isDone());
            long sigterm = System.nanoTime();
            service.sigterm();

            // Readiness DOWN while the process is still there and answering.
            boolean sawDown = false;
            while (service.process().isAlive() && !sawDown) {
                try {
                    sawDown = http.send(HttpRequest.newBuilder(service.management("/actuator/health/readiness"))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 503;
                } catch (IOException e) {
                    break;
                }
                Thread.sleep(20);
            }
            assertThat(sawDown).as("readiness answered 503 after SIGTERM").isTrue();
            // DOWN first: while readiness says so, the API port still takes new requests (the drain delay gives a
            // load balancer time to stop sending); Boot alone marks readiness down only as the server stops.
            HttpResponse<String> afterDown = http.send(HttpRequest.newBuilder(service.uri("/v2/health/live"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(afterDown.statusCode()).as("a new request after readiness went down").isEqualTo(200);

            assertThat(pendingAtSigterm).as("a prediction was in flight at SIGTERM").isTrue();
            for (CompletableFuture<HttpResponse<String>> p : predictions) {
                HttpResponse<String> answer = p.get(30, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            }

            assertThat(service.process().waitFor(GRACE.toSeconds() + 3, TimeUnit.SECONDS))
                    .as("exited within the grace period").isTrue();
            double seconds = (System.nanoTime() - sigterm) / 1e9;
            System.out.printf("graceful shutdown: exited %.1f s after SIGTERM with code %d%n", seconds,
                    service.process().exitValue());
            assertThat(service.process().exitValue()).as("a clean exit on SIGTERM, not the watchdog's halt").isEqualTo(143);

            JsonNode record = json(Files.readString(store.resolve(".jobs").resolve(job + ".json")));
            assertThat(record.get("status").asString()).isEqualTo("CANCELLED");
            assertThat(record.get("finishedAt").isNull()).isFalse();
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("{")) {
                lines.add(json(line));
            }
        }
        assertThat(lines).as("JSON log lines").hasSizeGreaterThan(10);
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("message").asString()).contains("training job " + "").contains("started");
            assertThat(l.path("requestId").asString()).isEqualTo("sigterm-train-1");
        });
        assertThat(lines).anySatisfy(l -> assertThat(l.path("message").asString()).contains("shutting down"));
    }

    private void awaitStatus(ChildService service, String job, String status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(service.uri("/train/jobs/" + job)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (json(r.body()).get("status").asString().equals(status)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + job + " never " + status);
    }

    private void awaitInFlight(ChildService service) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    service.management("/actuator/metrics/mcdropout.predict.in.flight")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (json(r.body()).get("measurements").get(0).get("value").asDouble() >= 1) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no prediction in flight");
    }

    /** A 64-512-512-10 network with dropout 0.5 as the active version of "mid". */
    private static void writeModel(Path store) throws IOException {
        Network network = Network.initialize(NetworkSpec.of(64, List.of(512, 512), 10, 0.5),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Standardization.identity(64), DataType.FLOAT, 3);
        Path dir = Files.createDirectories(store.resolve("mid"));
        Files.write(dir.resolve("1.zip"), TestArtifacts.zip(network));
        Files.writeString(dir.resolve("active"), "1");
    }

    private static String rows(int n) {
        Random random = new Random(9);
        StringBuilder sb = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < 64; j++) {
                sb.append(j == 0 ? "" : ",").append(random.nextInt(16));
            }
            sb.append(']');
        }
        return sb.append("]}").toString();
    }

    private static JsonNode json(String body) {
        return ServiceTestSupport.JSON.readTree(body);
    }
}
