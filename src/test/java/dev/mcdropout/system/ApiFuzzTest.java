package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mcdropout.models.TestArtifacts;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Fuzzing against a running server, bounded so that it fits in {@code ./mvnw verify}:
 * <ul>
 *   <li>{@link #everyOperationOfTheOpenApiDocumentSurvivesMutatedRequests}: requests built from the service's
 *       own {@code /v3/api-docs}, every operation in turn, each parameter and body mutated (wrong types, values
 *       out of range, broken JSON, missing and unknown fields, wrong media types, keys missing or wrong), from a
 *       fixed seed;</li>
 *   <li>{@link #predictAndInfer}: Jazzer replays the inputs committed under
 *       {@code src/test/resources/dev/mcdropout/system/ApiFuzzTestInputs/predictAndInfer} (found by fuzzing it
 *       with {@code JAZZER_FUZZ=1}), each as a prediction and an Open Inference Protocol request.</li>
 * </ul>
 * The oracle: every answer is a 4xx problem (the protocol's {@code {"error"}} under {@code /v2}) or a 2xx that is
 * right for its request, never a 5xx (the one documented exception: {@code non-finite-result}, a model whose
 * weights overflow on the input); afterwards the service still answers a reference prediction bit for bit.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
        "mcdropout.security.api-key=" + ApiFuzzTest.KEY,
        "mcdropout.limits.max-mc-samples=200",
        "mcdropout.limits.max-rows=50",
        "mcdropout.limits.max-predict-body=256KB",
        "mcdropout.limits.max-artifact-body=1MB",
        "mcdropout.limits.max-training-body=256KB",
        "mcdropout.limits.max-epochs=3",
        "mcdropout.limits.max-hidden-units=64",
        "mcdropout.training.wait-timeout=2s",
        "mcdropout.training.queue-capacity=1",
        "mcdropout.evaluation.max-rows=100",
        "mcdropout.evaluation.max-mc-samples=20",
        "mcdropout.experiments.max-row-epochs=20000",
        "mcdropout.predict.threads=2",
})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiFuzzTest {

    static final String KEY = "fuzz-key";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    private static final String REFERENCE = "/predict?model=anchor&mcSamples=20&seed=7";
    private static final AtomicInteger SENT = new AtomicInteger();
    private static String referenceBody;
    private static String referenceAnswer;

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Two versions of "digits" for the fuzzer to play with, and "anchor", which no request names. */
    private synchronized void setUp() throws Exception {
        if (referenceAnswer != null) {
            return;
        }
        for (String model : new String[] {"digits", "digits", "anchor"}) {
            byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 16, CLASSES, model.length()));
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/models/" + model + "/versions"))
                    .header("Content-Type", "application/zip").header("X-API-Key", KEY)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
        referenceBody = "{\"instances\":[" + row(new Random(1), 64) + "," + row(new Random(2), 64) + "]}";
        referenceAnswer = post(REFERENCE, referenceBody).body();
        assertThat(referenceAnswer).contains("\"predictions\"");
    }

    @Test
    @Order(1)
    void everyOperationOfTheOpenApiDocumentSurvivesMutatedRequests() throws Exception {
        setUp();
        JsonNode document = JSON.readTree(send(HttpRequest.newBuilder(uri("/v3/api-docs")).GET()).body());
        List<Operation> operations = new ArrayList<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op ->
                operations.add(new Operation(path.getKey(), op.getKey().toUpperCase(), op.getValue()))));
        assertThat(operations).hasSizeGreaterThanOrEqualTo(30);
        Mutator mutator = new Mutator(new Random(20261202L), document.get("components").get("schemas"));
        List<String> failures = new ArrayList<>();
        int requests = 0;
        for (int round = 0; round < 56; round++) {
            for (Operation operation : operations) {
                HttpRequest.Builder request = mutator.request(operation, port);
                check(request.timeout(Duration.ofSeconds(30)).build(), operation.path(), failures);
                requests++;
            }
        }
        System.out.printf("API fuzzing: %d requests from the OpenAPI document over %d operations%n", requests,
                operations.size());
        assertThat(failures).isEmpty();
        assertStillCorrect();
    }

    /** One committed input: query parameters and a body from the fuzzer's bytes, to /predict and to OIP infer. */
    @FuzzTest(maxDuration = "90s")
    @Order(2)
    void predictAndInfer(FuzzedDataProvider data) throws Exception {
        setUp();
        String[] models = {"", "digits", "digits:1", "digits:2", "digits:0", "nosuch", "Digits", "digits:99"};
        StringBuilder query = new StringBuilder("?");
        if (data.consumeBoolean()) {
            query.append("mcSamples=").append(data.consumeBoolean() ? Integer.toString(data.consumeInt(-3, 300))
                    : encode(data.consumeString(12))).append('&');
        }
        if (data.consumeBoolean()) {
            query.append("seed=").append(data.consumeLong()).append('&');
        }
        String model = models[data.consumeInt(0, models.length - 1)];
        if (!model.isEmpty()) {
            query.append("model=").append(encode(model)).append('&');
        }
        if (data.consumeBoolean()) {
            query.append("include=").append(encode(data.consumeString(10)));
        }
        String body = data.consumeRemainingAsString();
        List<String> failures = new ArrayList<>();
        try (SilentCloseable ignored = allowNetwork()) {
            check(HttpRequest.newBuilder(uri("/predict" + query)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    "/predict", failures);
            check(HttpRequest.newBuilder(uri("/predict" + query + "&include=scores")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    "/predict", failures);
            String name = model.isEmpty() ? "digits" : model.contains(":") ? model.substring(0, model.indexOf(':')) : model;
            for (String infer : new String[] {"/infer", "/versions/1/infer"}) {
                check(HttpRequest.newBuilder(uri("/v2/models/" + encode(name) + infer)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        "/v2/models/{name}" + infer, failures);
            }
        }
        assertThat(failures).isEmpty();
    }

    /** After both parts: the count (the OpenAPI part and the replayed inputs) and the service still right. */
    @Test
    @Order(3)
    void theServiceIsStillCorrectAfterAllFuzzing() throws Exception {
        setUp();
        assertStillCorrect();
        System.out.printf("API fuzzing: %d requests in all%n", SENT.get());
        assertThat(SENT.get()).isGreaterThanOrEqualTo(2000);
    }

    private void assertStillCorrect() throws Exception {
        assertThat(send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + "/actuator/health/readiness")).GET()).statusCode()).isEqualTo(200);
        assertThat(post(REFERENCE, referenceBody).body()).isEqualTo(referenceAnswer);
    }

    /** The oracle for one answer; what is wrong goes to {@code failures}. */
    private void check(HttpRequest request, String path, List<String> failures) throws Exception {
        HttpResponse<String> r;
        try (SilentCloseable ignored = allowNetwork()) {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        }
        SENT.incrementAndGet();
        int status = r.statusCode();
        String type = r.headers().firstValue("Content-Type").orElse("");
        String what = request.method() + " " + request.uri() + " -> " + status + " " + abbreviate(r.body());
        if (status >= 500) {
            if (!(status == 500 && r.body().contains("/non-finite-result\""))) {
                failures.add("5xx: " + what);
            }
            return;
        }
        if (status >= 400) {
            // Under /v2 the protocol's error object, except where Tomcat refused the request line before the
            // application saw it (a NUL in the path, say): then the problem of its error valve.
            if (path.startsWith("/v2") && !(status == 400 && r.body().contains("/bad-request\""))) {
                if (!type.startsWith("application/json") || !JSON.readTree(r.body()).path("error").isString()) {
                    failures.add("not an OIP error: " + what);
                }
                return;
            }
            JsonNode problem = type.startsWith("application/problem+json") ? JSON.readTree(r.body()) : null;
            if (problem == null || problem.path("status").asInt() != status || problem.path("detail").asString().isBlank()
                    || !problem.path("type").asString().startsWith(Problems.DEFAULT_TYPE_BASE)) {
                failures.add("not a problem: " + what + " (" + type + ")");
            }
            return;
        }
        if (status >= 200 && status < 300 && type.startsWith("application/json") && !r.body().isEmpty()) {
            JsonNode answer = JSON.readTree(r.body());
            if (path.equals("/predict") && !rightPrediction(answer)) {
                failures.add("wrong prediction: " + what);
            }
            if (path.endsWith("/infer") && !answer.path("outputs").isArray()) {
                failures.add("wrong inference: " + what);
            }
        }
    }

    /** Probabilities that are finite and sum to 1 per row, as many rows as asked. */
    private static boolean rightPrediction(JsonNode answer) {
        JsonNode predictions = answer.path("predictions");
        if (!predictions.isArray() || predictions.isEmpty()) {
            return false;
        }
        for (JsonNode p : predictions) {
            double sum = 0;
            for (JsonNode m : p.path("mean")) {
                if (!Double.isFinite(m.asDouble()) || m.asDouble() < 0) {
                    return false;
                }
                sum += m.asDouble();
            }
            if (Math.abs(sum - 1) > 1e-4 || p.path("mean").size() != CLASSES.size()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Jazzer's SSRF detector would report every connection when fuzzing; the server is ours. Without its agent
     * (replaying the committed inputs) there is no detector to silence.
     */
    private static SilentCloseable allowNetwork() {
        try {
            return BugDetectors.allowNetworkConnections();
        } catch (IllegalStateException e) {
            return () -> { };
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        try (SilentCloseable ignored = allowNetwork()) {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://localhost:" + port + pathAndQuery);
    }

    private static String row(Random random, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int j = 0; j < n; j++) {
            sb.append(j == 0 ? "" : ",").append(random.nextInt(17));
        }
        return sb.append(']').toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    record Operation(String path, String method, JsonNode spec) {
    }

    /** Requests for an operation of the document, each part valid (from the document's examples) or broken. */
    static final class Mutator {

        private static final String[] BAD_SCALARS = {"", "-1", "0", "abc", "1.5", "1e400", "NaN", "-0", "true", "null",
                "99999999999999999999", "%00", "..%2F..%2Fetc", "%E2%82%AC", "DIGITS", "digits:1", "a".repeat(300),
                "%20", "[]", "{}"};

        private final Random random;
        private final JsonNode schemas;
        private final JsonNodeFactory nodes = JsonNodeFactory.instance;

        Mutator(Random random, JsonNode schemas) {
            this.random = random;
            this.schemas = schemas;
        }

        HttpRequest.Builder request(Operation operation, int port) {
            String path = operation.path();
            StringBuilder query = new StringBuilder();
            for (JsonNode parameter : operation.spec().path("parameters")) {
                String name = parameter.path("name").asString();
                String value = value(parameter);
                if (parameter.path("in").asString().equals("path")) {
                    path = path.replace("{" + name + "}", value == null ? "" : value);
                } else if (value != null) {
                    query.append(query.isEmpty() ? "?" : "&").append(name).append('=').append(value);
                }
            }
            if (random.nextInt(10) == 0) {
                query.append(query.isEmpty() ? "?" : "&").append("unknown=").append(pick(BAD_SCALARS));
            }
            HttpRequest.Builder builder;
            try {
                builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path + query));
            } catch (IllegalArgumentException e) {
                builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + operation.path()
                        .replaceAll("\\{[^}]+}", "x")));
            }
            int key = random.nextInt(10);
            if (key < 8) {
                builder.header("X-API-Key", KEY);
            } else if (key == 8) {
                builder.header("X-API-Key", "guess");
            }
            JsonNode content = operation.spec().path("requestBody").path("content");
            if (content.isMissingNode() || content.isEmpty()) {
                return builder.method(operation.method(), HttpRequest.BodyPublishers.noBody());
            }
            List<String> types = new ArrayList<>();
            content.properties().forEach(e -> types.add(e.getKey()));
            String mediaType = random.nextInt(12) == 0 ? pick(new String[] {"text/plain", "application/xml",
                    "application/x-www-form-urlencoded"}) : types.get(random.nextInt(types.size()));
            byte[] body = body(mediaType, content.path(mediaType).path("schema"));
            if (mediaType.equals("multipart/form-data")) {
                String boundary = "fuzz" + random.nextInt(1000);
                builder.header("Content-Type", "multipart/form-data; boundary=" + (random.nextInt(8) == 0 ? "other" : boundary));
                body = multipart(boundary, content.path(mediaType).path("schema"));
            } else {
                builder.header("Content-Type", mediaType);
            }
            return builder.method(operation.method(), HttpRequest.BodyPublishers.ofByteArray(body));
        }

        /** A parameter's value: its example, a mutation of it, or absent (null). */
        private String value(JsonNode parameter) {
            int choice = random.nextInt(10);
            String example = parameter.has("example") ? parameter.get("example").asString()
                    : parameter.path("schema").has("default") ? parameter.path("schema").get("default").asString()
                    : parameter.path("in").asString().equals("path") ? "1" : null;
            if (choice < 4) {
                return example == null ? null : encodeIfNeeded(example);
            }
            if (choice < 5 && !parameter.path("required").asBoolean()) {
                return null;
            }
            String bad = pick(BAD_SCALARS);
            return bad.contains("%") ? bad : encodeIfNeeded(bad);
        }

        private byte[] body(String mediaType, JsonNode schema) {
            if (mediaType.equals("application/zip")) {
                byte[] bytes = new byte[random.nextInt(2000)];
                random.nextBytes(bytes);
                if (random.nextBoolean() && bytes.length > 4) {
                    bytes[0] = 'P';
                    bytes[1] = 'K';
                    bytes[2] = 3;
                    bytes[3] = 4;
                }
                return bytes;
            }
            String json = JSON.writeValueAsString(mutate(instance(schema, 0), 0));
            return switch (random.nextInt(12)) {
                case 0 -> json.substring(0, random.nextInt(json.length() + 1)).getBytes(StandardCharsets.UTF_8);
                case 1 -> (json + pick(new String[] {" x", "{}", ",", "]"})).getBytes(StandardCharsets.UTF_8);
                case 2 -> "[".repeat(random.nextInt(2000)).getBytes(StandardCharsets.UTF_8);
                case 3 -> new byte[0];
                default -> json.getBytes(StandardCharsets.UTF_8);
            };
        }

        private byte[] multipart(String boundary, JsonNode schema) {
            StringBuilder sb = new StringBuilder();
            JsonNode resolved = resolve(schema);
            Iterator<Map.Entry<String, JsonNode>> properties = resolved.path("properties").properties().iterator();
            while (properties.hasNext()) {
                Map.Entry<String, JsonNode> p = properties.next();
                if (random.nextInt(5) == 0) {
                    continue;
                }
                String value = p.getKey().equals("data") ? "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n"
                        + (random.nextBoolean() ? "oops,\"broken\n" : "")
                        : p.getValue().has("example") ? p.getValue().get("example").asString() : pick(BAD_SCALARS);
                if (random.nextInt(4) == 0) {
                    value = pick(BAD_SCALARS);
                }
                sb.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(p.getKey())
                        .append(p.getKey().equals("data") ? "\"; filename=\"d.csv\"\r\nContent-Type: text/csv" : "\"")
                        .append("\r\n\r\n").append(value).append("\r\n");
            }
            if (random.nextInt(6) != 0) {
                sb.append("--").append(boundary).append("--\r\n");
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** A valid-looking instance of a schema: examples where the document has them, else by type. */
        private JsonNode instance(JsonNode schema, int depth) {
            JsonNode s = resolve(schema);
            if (s.has("example")) {
                JsonNode example = s.get("example");
                if (example.isString() && (example.asString().startsWith("[") || example.asString().startsWith("{"))
                        && !s.path("type").asString().equals("string")) {
                    try {
                        return JSON.readTree(example.asString());
                    } catch (RuntimeException e) {
                        return example;
                    }
                }
                return example.deepCopy();
            }
            String type = s.path("type").asString();
            if (depth > 6) {
                return nodes.nullNode();
            }
            return switch (type) {
                case "object" -> {
                    ObjectNode object = nodes.objectNode();
                    s.path("properties").properties().forEach(p -> object.set(p.getKey(), instance(p.getValue(), depth + 1)));
                    yield object;
                }
                case "array" -> {
                    ArrayNode array = nodes.arrayNode();
                    for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                        array.add(instance(s.path("items"), depth + 1));
                    }
                    yield array;
                }
                case "integer" -> nodes.numberNode(random.nextInt(20));
                case "number" -> nodes.numberNode(random.nextDouble() * 10);
                case "boolean" -> nodes.booleanNode(random.nextBoolean());
                case "string" -> nodes.stringNode(s.path("enum").isArray() && !s.path("enum").isEmpty()
                        ? s.path("enum").get(random.nextInt(s.path("enum").size())).asString() : "digits");
                default -> nodes.objectNode();
            };
        }

        /** The instance with some nodes broken: wrong types, extremes, nulls, removed or unknown fields. */
        private JsonNode mutate(JsonNode node, int depth) {
            if (random.nextInt(depth == 0 ? 6 : 9) == 0) {
                return switch (random.nextInt(9)) {
                    case 0 -> nodes.nullNode();
                    case 1 -> nodes.stringNode(pick(BAD_SCALARS));
                    case 2 -> nodes.numberNode(pick(new double[] {-1, 0, 1e308, -1e308, 1e-320, 4.9e-324, 1e38, 2147483648.0}));
                    case 3 -> nodes.booleanNode(true);
                    case 4 -> nodes.arrayNode();
                    case 5 -> nodes.objectNode();
                    case 6 -> {
                        ArrayNode big = nodes.arrayNode();
                        for (int i = 0, n = random.nextInt(3000); i < n; i++) {
                            big.add(random.nextInt(3));
                        }
                        yield big;
                    }
                    case 7 -> nodes.numberNode(new java.math.BigInteger("9".repeat(1 + random.nextInt(40))));
                    default -> nodes.stringNode("x".repeat(random.nextInt(5000)));
                };
            }
            if (node instanceof ObjectNode object) {
                ObjectNode copy = nodes.objectNode();
                Map<String, JsonNode> fields = new LinkedHashMap<>();
                object.properties().forEach(e -> fields.put(e.getKey(), e.getValue()));
                fields.forEach((k, v) -> {
                    if (random.nextInt(8) != 0) {
                        copy.set(k, mutate(v, depth + 1));
                    }
                });
                if (random.nextInt(8) == 0) {
                    copy.put("unexpected" + random.nextInt(3), 1);
                }
                return copy;
            }
            if (node instanceof ArrayNode array) {
                ArrayNode copy = nodes.arrayNode();
                for (JsonNode e : array) {
                    copy.add(mutate(e, depth + 1));
                }
                if (random.nextInt(8) == 0 && !copy.isEmpty()) {
                    copy.add(copy.get(0).deepCopy());
                }
                return copy;
            }
            return node;
        }

        private JsonNode resolve(JsonNode schema) {
            String ref = schema.path("$ref").asString("");
            return ref.isEmpty() ? schema : schemas.path(ref.substring(ref.lastIndexOf('/') + 1));
        }

        private String encodeIfNeeded(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }

        private String pick(String[] values) {
            return values[random.nextInt(values.length)];
        }

        private double pick(double[] values) {
            return values[random.nextInt(values.length)];
        }
    }
}
