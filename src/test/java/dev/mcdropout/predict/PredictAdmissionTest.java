package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With room for one prediction at a time and no waiting, a prediction that arrives while another runs is
 * refused with a 503 problem that names the setting, and the service answers normally once it is free.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.predict.max-concurrent=1",
        "mcdropout.predict.queue-timeout=1ms",
})
class PredictAdmissionTest {

    private static final Path STORE = newStore();

    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", STORE::toString);
    }

    @BeforeEach
    void waitUntilReady() throws Exception {
        ServiceTestSupport.awaitReady(port);
    }

    @Test
    void predictionBeyondTheConcurrencyLimitGetsA503ProblemAndTheServiceRecovers() throws Exception {
        // All 1,797 digits rows x 1,000 passes keeps the only slot busy for a second or more on two cores.
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(predict(ServiceTestSupport.digitsBody(0, 1797), 1000),
                HttpResponse.BodyHandlers.ofString());
        List<HttpResponse<String>> refused = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!slow.isDone() && refused.isEmpty() && System.nanoTime() < deadline) {
            HttpResponse<String> quick = http.send(predict(ServiceTestSupport.digitsBody(0, 1), 10),
                    HttpResponse.BodyHandlers.ofString());
            statuses.add(quick.statusCode());
            if (quick.statusCode() == 503) {
                refused.add(quick);
            }
        }
        HttpResponse<String> slowAnswer = slow.get(120, TimeUnit.SECONDS);
        if (slowAnswer.statusCode() == 503) {
            // The quick requests took the slot first; the refusal is then the slow one's.
            refused.add(slowAnswer);
        } else {
            assertThat(slowAnswer.statusCode()).isEqualTo(200);
        }

        assertThat(statuses).allMatch(s -> s == 200 || s == 503);
        assertThat(refused).as("a prediction refused while another held the only slot").isNotEmpty();
        HttpResponse<String> problem = refused.get(0);
        assertThat(problem.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(problem.body()).contains("\"status\":503").contains("mcdropout.predict.max-concurrent");

        HttpResponse<String> after = http.send(predict(ServiceTestSupport.digitsBody(0, 1), 10),
                HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(200);
    }

    private HttpRequest predict(String body, int mcSamples) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/predict?mcSamples=" + mcSamples + "&seed=1"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static Path newStore() {
        try {
            Path dir = Files.createTempDirectory("mcdropout-admission-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
