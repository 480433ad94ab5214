package dev.mcdropout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One real server on a random port, shared by every test class that extends this (same configuration, so
 * Spring caches the context): a store in a fresh temp directory where the default digits model is trained
 * at start, an API key, and limits smaller than the defaults so that tests can reach them cheaply.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.security.api-key=" + ServiceTestSupport.API_KEY,
        "mcdropout.limits.max-mc-samples=1000",
        "mcdropout.limits.max-rows=500",
        "mcdropout.limits.max-row-samples=100000",
        "mcdropout.limits.max-predict-body=1MB",
        "mcdropout.limits.max-artifact-body=2MB",
        "mcdropout.predict.threads=2",
})
public abstract class ServiceTestSupport {

    public static final String API_KEY = "test-key-0123456789";
    public static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Path STORE = newStore();
    private static final List<double[]> DIGITS = new ArrayList<>();
    private static final List<Integer> DIGIT_LABELS = new ArrayList<>();

    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @LocalServerPort
    protected int port;

    /** Actuator (probes, metrics, Prometheus) is served on its own port (management.server.port). */
    @LocalManagementPort
    protected int managementPort;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", STORE::toString);
    }

    @BeforeEach
    void waitUntilReady() throws Exception {
        awaitReady(port);
    }

    protected static Path store() {
        return STORE;
    }

    /**
     * Waits on the application port's readiness ({@code /v2/health/ready}, which answers like the readiness probe
     * on the management port: readiness state and an active model).
     */
    public static void awaitReady(int port) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        int status = 0;
        while (System.nanoTime() < deadline) {
            status = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v2/health/ready"))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
                return;
            }
            Thread.sleep(100);
        }
        assertThat(status).as("readiness within 3 minutes").isEqualTo(200);
    }

    protected URI uri(String pathAndQuery) {
        return URI.create("http://localhost:" + port + pathAndQuery);
    }

    protected HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET on the management port: /actuator/... */
    protected HttpResponse<String> management(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A request to the management port: /actuator/... */
    protected HttpRequest.Builder managementRequest(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + path))
                .timeout(Duration.ofSeconds(60));
    }

    protected HttpResponse<String> postJson(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
    }

    protected HttpRequest.Builder withKey(HttpRequest.Builder builder) {
        return builder.header("X-API-Key", API_KEY);
    }

    protected static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    /** The first {@code n} rows of the bundled digits data, as {"instances": [...]} JSON. */
    public static String digitsBody(int from, int n) {
        StringBuilder sb = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < n; i++) {
            double[] row = digitsRow(from + i);
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < row.length; j++) {
                sb.append(j == 0 ? "" : ",").append((int) row[j]);
            }
            sb.append(']');
        }
        return sb.append("]}").toString();
    }

    protected static synchronized double[] digitsRow(int i) {
        loadDigits();
        return DIGITS.get(i).clone();
    }

    protected static synchronized int digitLabel(int i) {
        loadDigits();
        return DIGIT_LABELS.get(i);
    }

    private static void loadDigits() {
        if (!DIGITS.isEmpty()) {
            return;
        }
        try (InputStream raw = ServiceTestSupport.class.getResourceAsStream("/datasets/digits.csv.gz");
             BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII))) {
            for (String line; (line = reader.readLine()) != null; ) {
                String[] parts = line.split(",");
                double[] row = new double[parts.length - 1];
                for (int j = 0; j < row.length; j++) {
                    row[j] = Double.parseDouble(parts[j]);
                }
                DIGITS.add(row);
                DIGIT_LABELS.add((int) Double.parseDouble(parts[parts.length - 1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path newStore() {
        try {
            Path dir = Files.createTempDirectory("mcdropout-test-store");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
