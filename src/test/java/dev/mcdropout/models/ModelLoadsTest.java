package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import dev.mcdropout.ServiceTestSupport;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Versions that are not active are read from the store on demand (a prediction pinned with
 * {@code ?model=name:N}, a version's metadata), and only the last four stay cached: cycling through more
 * makes every request a load. Loads are bounded ({@code mcdropout.predict.max-concurrent-loads}) and a
 * pinned prediction loads only once admitted, so a flood of requests for cold versions waits or gets 503
 * instead of unzipping models side by side.
 */
class ModelLoadsTest {

    private static final String KEY = "loads-test-key";
    private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void pinnedLoadsRunOneAtATimeAndOnlyOnceAdmitted(@TempDir Path store) throws Exception {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(McDropoutApplication.class).run(
                "--server.port=0", "--spring.jmx.enabled=false", "--mcdropout.store.dir=" + store,
                "--mcdropout.startup.train-default-model=false", "--mcdropout.security.api-key=" + KEY,
                "--mcdropout.predict.max-concurrent=2", "--mcdropout.predict.max-concurrent-loads=1",
                "--mcdropout.predict.queue-timeout=1500ms", "--mcdropout.predict.threads=2")) {
            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            ModelRegistry registry = app.getBean(ModelRegistry.class);
            // seven versions of a wide model (a few MiB each, so that a load takes a while); 1 is active
            for (int v = 1; v <= 7; v++) {
                byte[] zip = TestArtifacts.zip(TestArtifacts.network(784, 512, CLASSES, v));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(port, "/models/wide/versions"))
                        .header("Content-Type", "application/zip").header("X-API-Key", KEY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            }
            String row = "{\"instances\":[[" + String.join(",", Collections.nCopies(784, "0.5")) + "]]}";

            // 1. Twelve clients pinned to versions 2..7 at once: every answer is right, loads never overlap.
            ExecutorService clients = Executors.newFixedThreadPool(12);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int c = 0; c < 12; c++) {
                int version = 2 + c % 6;
                answers.add(clients.submit(() -> predict(port, "wide:" + version, row)));
            }
            for (int c = 0; c < 12; c++) {
                HttpResponse<String> r = answers.get(c).get();
                assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
                if (r.statusCode() == 200) {
                    assertThat(ServiceTestSupport.JSON.readTree(r.body()).get("model").get("version").asInt())
                            .isEqualTo(2 + c % 6);
                }
            }
            clients.shutdown();
            assertThat(registry.onDemandLoads()).isGreaterThanOrEqualTo(6);
            assertThat(registry.peakConcurrentLoads()).isEqualTo(1);

            // 2. Both admissions held by clients still sending their bodies: a request pinned to a version that
            //    is not cached waits for admission, gets 503, and has loaded nothing.
            String cold = "wide:2";
            long loadsBefore = registry.onDemandLoads();
            for (int v = 3; v <= 7; v++) {
                assertThat(predict(port, "wide:" + v, row).statusCode()).isEqualTo(200); // version 2 drops out of the cache
            }
            loadsBefore = registry.onDemandLoads();
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    slow.add(stallingPredict(port));
                }
                Thread.sleep(300);
                HttpResponse<String> refused = predict(port, cold, row);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(registry.onDemandLoads()).as("no load before admission").isEqualTo(loadsBefore);
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            HttpResponse<String> served = awaitServed(port, cold, row);
            assertThat(ServiceTestSupport.JSON.readTree(served.body()).get("model").get("version").asInt()).isEqualTo(2);
            assertThat(registry.onDemandLoads()).isEqualTo(loadsBefore + 1);
        }
    }

    /** A prediction whose client sends the headers and the start of its body, then nothing. */
    private static Socket stallingPredict(int port) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /predict?model=wide HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n{\"instances\":[[").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private HttpResponse<String> awaitServed(int port, String model, String row) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r;
        do {
            r = predict(port, model, row);
        } while (r.statusCode() == 503 && System.nanoTime() < deadline);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    private HttpResponse<String> predict(int port, String model, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(port, "/predict?mcSamples=5&seed=1&model=" + model))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(int port, String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
