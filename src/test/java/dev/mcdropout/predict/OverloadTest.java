package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.Standardization;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A real server under more work than it admits: one prediction at a time, one waiting, a deadline of a few
 * seconds, and six request threads. Its model (64-1024-1024-10, dropout 0.5) makes 200 rows x 2,000 passes
 * a computation of many seconds, far past the deadline on any machine. What must hold: a prediction past its
 * deadline gets a 503 and its work stops; one more than the queue holds gets a 503 with Retry-After at once;
 * the work of a client that hangs up stops; and probes on the management port answer within a second while
 * every request thread of the application port is taken.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.default-model=heavy",
        "mcdropout.startup.train-default-model=false",
        "mcdropout.store.rescan-interval=0",
        "mcdropout.predict.threads=1",
        "mcdropout.predict.max-concurrent=1",
        "mcdropout.predict.max-queued=1",
        "mcdropout.predict.queue-timeout=30s",
        "mcdropout.predict.deadline=6s",
        "mcdropout.predict.retry-after=2s",
        "mcdropout.evaluation.deadline=6s",
        "mcdropout.evaluation.max-mc-samples=5000",
        "mcdropout.evaluation.max-row-samples=10000000",
        "server.tomcat.threads.max=6",
        "server.tomcat.threads.min-spare=1",
})
class OverloadTest {

    private static final Path STORE = storeWithHeavyModel();
    private static final String HEAVY_BODY = rows(200, 3);
    // 200 rows x 10,000 passes: the engine of this stop did 200 x 2,000 within the 6 s deadline on a quiet machine.
    private static final String HEAVY = "/predict?mcSamples=10000&seed=1";
    private static final String HEAVY_EVALUATION = "/models/heavy/versions/1/evaluate?mcSamples=4000&seed=1";
    private static final String HEAVY_EVALUATION_BODY = evaluationBody(200, 3);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", STORE::toString);
    }

    @BeforeEach
    void ready() throws Exception {
        ServiceTestSupport.awaitReady(port);
        awaitGauge("mcdropout.predict.in.flight", v -> v == 0);
    }

    @Test
    void aPredictionPastItsDeadlineGets503DeadlineExceededAndItsWorkStops() throws Exception {
        double before = counter("mcdropout.predict.stopped", "reason:deadline");
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + HEAVY))
                .header("Content-Type", "application/json").header("X-Request-Id", "deadline-test-1")
                .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofString(HEAVY_BODY)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("2");
        JsonNode problem = ServiceTestSupport.JSON.readTree(answer.body());
        assertThat(problem.get("type").asString()).endsWith("/deadline-exceeded");
        assertThat(problem.get("detail").asString()).contains("mcdropout.predict.deadline");
        assertThat(problem.get("requestId").asString()).isEqualTo("deadline-test-1");
        // The answer came from the thread that computed: the engine had stopped, and gave its slot back.
        assertThat(gauge("mcdropout.predict.in.flight")).isZero();
        assertThat(counter("mcdropout.predict.stopped", "reason:deadline")).isEqualTo(before + 1);
    }

    @Test
    void oneMoreThanTheQueueHoldsGetsA503WithRetryAfterAtOnceWhileTheOthersWork() throws Exception {
        try (Socket running = sendRaw(HEAVY, HEAVY_BODY)) {
            awaitGauge("mcdropout.predict.in.flight", v -> v == 1);
            try (Socket waiting = sendRaw(HEAVY, HEAVY_BODY)) {
                awaitGauge("mcdropout.predict.queued", v -> v == 1);

                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                                + "/predict?mcSamples=10&seed=1")).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(rows(1, 5))).build(),
                        HttpResponse.BodyHandlers.ofString());

                // Refused while the first was still computing and the second still waiting, not after either.
                assertThat(gauge("mcdropout.predict.in.flight")).isEqualTo(1);
                assertThat(gauge("mcdropout.predict.queued")).isEqualTo(1);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
                assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("application/problem+json"));
                JsonNode problem = ServiceTestSupport.JSON.readTree(refused.body());
                assertThat(problem.get("type").asString()).endsWith("/busy");
                assertThat(problem.get("detail").asString()).contains("mcdropout.predict.max-queued");
            }
        }
        // Both clients hung up: their work stops, and the service answers again.
        awaitGauge("mcdropout.predict.in.flight", v -> v == 0);
        HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/predict?mcSamples=10&seed=1")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(rows(1, 5))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    @Test
    void theWorkOfAClientThatHangsUpStops() throws Exception {
        double disconnected = counter("mcdropout.predict.stopped", "reason:disconnected");
        double deadline = counter("mcdropout.predict.stopped", "reason:deadline");
        try (Socket client = sendRaw(HEAVY, HEAVY_BODY)) {
            awaitGauge("mcdropout.predict.in.flight", v -> v == 1);
        }
        awaitGauge("mcdropout.predict.in.flight", v -> v == 0);
        // Stopped because the client left, well before its deadline would have stopped it.
        assertThat(counter("mcdropout.predict.stopped", "reason:disconnected")).isEqualTo(disconnected + 1);
        assertThat(counter("mcdropout.predict.stopped", "reason:deadline")).isEqualTo(deadline);
    }

    @Test
    void anEvaluationPastItsDeadlineGets503DeadlineExceededAndItsWorkStops() throws Exception {
        awaitGauge("mcdropout.evaluation.in.flight", v -> v == 0);
        double before = counter("mcdropout.evaluation.stopped", "reason:deadline");
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + HEAVY_EVALUATION)).header("Content-Type", "application/json")
                .header("X-Request-Id", "evaluation-deadline-1").timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(HEAVY_EVALUATION_BODY)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as("%.300s", answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("5");
        JsonNode problem = ServiceTestSupport.JSON.readTree(answer.body());
        assertThat(problem.get("type").asString()).endsWith("/deadline-exceeded");
        assertThat(problem.get("detail").asString()).contains("mcdropout.evaluation.deadline");
        assertThat(problem.get("requestId").asString()).isEqualTo("evaluation-deadline-1");
        // Answered by the thread that computed, once the engine had stopped and given its slot back.
        assertThat(gauge("mcdropout.evaluation.in.flight")).isZero();
        assertThat(counter("mcdropout.evaluation.stopped", "reason:deadline")).isEqualTo(before + 1);
    }

    @Test
    void theEvaluationOfAClientThatHangsUpStops() throws Exception {
        awaitGauge("mcdropout.evaluation.in.flight", v -> v == 0);
        double disconnected = counter("mcdropout.evaluation.stopped", "reason:disconnected");
        double deadline = counter("mcdropout.evaluation.stopped", "reason:deadline");
        try (Socket client = sendRaw(HEAVY_EVALUATION, HEAVY_EVALUATION_BODY)) {
            awaitGauge("mcdropout.evaluation.in.flight", v -> v == 1);
        }
        awaitGauge("mcdropout.evaluation.in.flight", v -> v == 0);
        // Stopped because the client left, before its deadline would have stopped it.
        assertThat(counter("mcdropout.evaluation.stopped", "reason:disconnected")).isEqualTo(disconnected + 1);
        assertThat(counter("mcdropout.evaluation.stopped", "reason:deadline")).isEqualTo(deadline);
    }

    @Test
    void probesOnTheManagementPortAnswerWithinASecondWhileEveryRequestThreadIsTaken() throws Exception {
        // Warm the management port once (its first request initialises its dispatcher).
        assertThat(probe("/actuator/health/liveness").statusCode()).isEqualTo(200);
        // Work of the other tests (a stopped prediction may still be winding down) must not free a thread midway.
        awaitGauge("mcdropout.predict.in.flight", v -> v == 0);
        awaitGauge("mcdropout.predict.queued", v -> v == 0);
        double refused = counter("mcdropout.predict.rejected", "reason:queue_full");
        List<Socket> slowUploads = new ArrayList<>();
        try {
            // Six uploads that never finish their body: each holds one of the six request threads, reading.
            for (int i = 0; i < 6; i++) {
                Socket s = new Socket("localhost", port);
                s.getOutputStream().write(("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100000\r\n\r\n{\"instances\": [[").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slowUploads.add(s);
            }
            // Every upload holds its thread before the starved request is sent: one admitted and reading its body,
            // one waiting for admission, and four refused with 503 whose unread bodies Tomcat waits to swallow.
            // (Sent at once, a request could win a thread before the last upload had been dispatched.)
            awaitGauge("mcdropout.predict.in.flight", v -> v == 1);
            awaitGauge("mcdropout.predict.queued", v -> v == 1);
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (counter("mcdropout.predict.rejected", "reason:queue_full") < refused + 4) {
                assertThat(System.nanoTime()).as("four uploads refused").isLessThan(until);
                Thread.sleep(20);
            }
            // The application port is starved: a request there gets no thread.
            HttpRequest starved = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v2/health/live"))
                    .timeout(Duration.ofSeconds(2)).build();
            boolean timedOut = false;
            try {
                http.send(starved, HttpResponse.BodyHandlers.discarding());
            } catch (HttpTimeoutException e) {
                timedOut = true;
            }
            assertThat(timedOut).as("every request thread of the application port is taken").isTrue();
            // The probes have threads of their own.
            for (int i = 0; i < 5; i++) {
                assertThat(probe("/actuator/health/liveness").statusCode()).isEqualTo(200);
                assertThat(probe("/actuator/health/readiness").statusCode()).isEqualTo(200);
            }
        } finally {
            for (Socket s : slowUploads) {
                s.close();
            }
        }
    }

    /** A probe as Kubernetes sends it by default: one second, then it counts as failed. */
    private HttpResponse<String> probe(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path))
                .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request on a plain socket, so that the test can hang up in the middle of it. */
    private Socket sendRaw(String path, String body) throws IOException {
        Socket s = new Socket("localhost", port);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return s;
    }

    private double gauge(String name) throws Exception {
        return measurement(name, null);
    }

    private double counter(String name, String tag) throws Exception {
        return measurement(name, tag);
    }

    private double measurement(String name, String tag) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort
                + "/actuator/metrics/" + name + (tag == null ? "" : "?tag=" + tag))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 404) {
            return 0;
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ServiceTestSupport.JSON.readTree(r.body()).get("measurements").get(0).get("value").asDouble();
    }

    private void awaitGauge(String name, java.util.function.DoublePredicate condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double value = gauge(name);
        while (!condition.test(value)) {
            assertThat(System.nanoTime()).as("%s reached the expected value (now %s)", name, value).isLessThan(deadline);
            Thread.sleep(20);
            value = gauge(name);
        }
    }

    /** {"instances": ...} of {@code n} distinct rows of 64 values in [0, 16). */
    private static String rows(int n, long seed) {
        Random random = new Random(seed);
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

    /** An evaluation body of {@code n} distinct rows of 64 values in [0, 16), labelled with the model's classes. */
    private static String evaluationBody(int n, long seed) {
        String instances = rows(n, seed);
        String features = instances.substring("{\"instances\":".length(), instances.length() - 1);
        StringBuilder labels = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            labels.append(i == 0 ? "" : ",").append('"').append(i % 10).append('"');
        }
        return "{\"dataset\":{\"features\":" + features + ",\"labels\":" + labels + "]}}";
    }

    private static Path storeWithHeavyModel() {
        try {
            Path store = ServiceTestSupport.newStore();
            NetworkSpec spec = NetworkSpec.of(64, List.of(1024, 1024), 10, 0.5);
            Network network = Network.initialize(spec, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                    Standardization.identity(64), DataType.FLOAT, 11);
            Path dir = Files.createDirectories(store.resolve("heavy"));
            Files.write(dir.resolve("1.zip"), TestArtifacts.zip(network));
            Files.writeString(dir.resolve("active"), "1");
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
