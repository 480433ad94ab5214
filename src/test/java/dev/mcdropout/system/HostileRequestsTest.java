package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Malformed and hostile requests: each must get a 4xx problem+json whose detail names the problem, none a
 * 5xx, and the service must answer normally afterwards.
 */
class HostileRequestsTest extends ServiceTestSupport {

    private record Hostile(String name, HttpRequest.Builder request, int status, String detailFragment) {
    }

    private static String row(int features, String value) {
        StringBuilder sb = new StringBuilder("[");
        for (int j = 0; j < features; j++) {
            sb.append(j == 0 ? "" : ",").append(j == 3 ? value : "0");
        }
        return sb.append(']').toString();
    }

    private static String rows(int n, int features) {
        StringBuilder sb = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(row(features, "1"));
        }
        return sb.append("]}").toString();
    }

    private HttpRequest.Builder json(String pathAndQuery, String body) {
        return request(pathAndQuery).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpRequest.Builder zip(String path, byte[] body, String key) {
        HttpRequest.Builder b = request(path).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return key == null ? b : b.header("X-API-Key", key);
    }

    private static byte[] zipOf(String entry, byte[] content) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry(entry));
            zip.write(content);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    @Test
    void everyHostileRequestGetsAClientErrorProblemAndTheServiceKeepsAnswering() throws Exception {
        String good = row(64, "1");
        String big = "{\"instances\":[" + String.join(",", java.util.Collections.nCopies(9000, good)) + "]}";
        List<Hostile> cases = List.of(
                new Hostile("broken JSON", json("/predict", "{\"instances\": [[1,2"), 400, "invalid"),
                new Hostile("not JSON at all", json("/predict", "hello"), 400, "invalid"),
                new Hostile("empty body", json("/predict", ""), 400, "JSON body"),
                new Hostile("top-level array", json("/predict", "[[1,2,3]]"), 400, "invalid"),
                new Hostile("instances is a string", json("/predict", "{\"instances\":\"abc\"}"), 400, "instances"),
                new Hostile("flat instances", json("/predict", "{\"instances\":[1,2,3]}"), 400, "instances"),
                new Hostile("string number", json("/predict", "{\"instances\":[" + row(64, "\"5\"") + "]}"), 400, "instances[0][3]"),
                new Hostile("word in a row", json("/predict", "{\"instances\":[" + row(64, "\"abc\"") + "]}"), 400, "instances[0][3]"),
                new Hostile("null in a row", json("/predict", "{\"instances\":[" + row(64, "null") + "]}"), 400, "instances[0][3]"),
                new Hostile("boolean in a row", json("/predict", "{\"instances\":[" + row(64, "true") + "]}"), 400, "instances[0][3]"),
                new Hostile("bare NaN", json("/predict", "{\"instances\":[" + row(64, "NaN") + "]}"), 400, "NaN"),
                new Hostile("bare Infinity", json("/predict", "{\"instances\":[" + row(64, "Infinity") + "]}"), 400, "Infinity"),
                new Hostile("NaN as a string", json("/predict", "{\"instances\":[" + row(64, "\"NaN\"") + "]}"), 400, "instances[0][3]"),
                new Hostile("number overflowing to infinity", json("/predict", "{\"instances\":[" + row(64, "1e400") + "]}"), 400, "instances[0][3] is not a finite number"),
                new Hostile("null row", json("/predict", "{\"instances\":[null]}"), 422, "instances[0] is null"),
                new Hostile("no instances", json("/predict", "{\"instances\":[]}"), 400, "at least one row"),
                new Hostile("missing instances", json("/predict", "{}"), 400, "at least one row"),
                new Hostile("deeply nested arrays", json("/predict", "{\"instances\":" + "[".repeat(5000) + "]".repeat(5000) + "}"), 400, "invalid"),
                new Hostile("a number with 5000 digits", json("/predict", "{\"instances\":[" + row(64, "9".repeat(5000)) + "]}"), 400, "invalid"),
                new Hostile("trailing garbage", json("/predict", rows(1, 64) + " extra"), 400, "invalid"),
                new Hostile("too few features", json("/predict", rows(1, 63)), 422, "has 63 features, the model expects 64"),
                new Hostile("too many features", json("/predict", rows(1, 65)), 422, "has 65 features, the model expects 64"),
                new Hostile("ragged rows", json("/predict", "{\"instances\":[" + good + "," + row(10, "1") + "]}"), 422, "instances[1] has 10 features"),
                new Hostile("negative mcSamples", json("/predict?mcSamples=-1", rows(1, 64)), 400, "mcSamples"),
                new Hostile("mcSamples not a number", json("/predict?mcSamples=lots", rows(1, 64)), 400, "'mcSamples' must be an integer"),
                new Hostile("mcSamples over the limit", json("/predict?mcSamples=1001", rows(1, 64)), 400, "max-mc-samples"),
                new Hostile("mcSamples overflowing int", json("/predict?mcSamples=99999999999", rows(1, 64)), 400, "mcSamples"),
                new Hostile("seed not a number", json("/predict?seed=abc", rows(1, 64)), 400, "'seed' must be an integer"),
                new Hostile("fractional seed", json("/predict?seed=1.5", rows(1, 64)), 400, "seed"),
                new Hostile("seed overflowing long", json("/predict?seed=18446744073709551616", rows(1, 64)), 400, "seed"),
                new Hostile("unknown model", json("/predict?model=nosuch", rows(1, 64)), 404, "no model named 'nosuch'"),
                new Hostile("unknown version", json("/predict?model=digits:999", rows(1, 64)), 404, "no version 999"),
                new Hostile("version zero", json("/predict?model=digits:0", rows(1, 64)), 400, "NAME:VERSION"),
                new Hostile("version not a number", json("/predict?model=digits:latest", rows(1, 64)), 400, "NAME:VERSION"),
                new Hostile("upper-case model name", json("/predict?model=Digits", rows(1, 64)), 400, "model name 'Digits' is invalid"),
                new Hostile("traversal in model parameter", json("/predict?model=..%2F..%2Fetc", rows(1, 64)), 400, "is invalid"),
                new Hostile("unknown include", json("/predict?include=everything", rows(1, 64)), 400, "'include' accepts only 'scores'"),
                new Hostile("too many rows", json("/predict", rows(501, 64)), 400, "max-rows"),
                new Hostile("too many rows x samples", json("/predict?mcSamples=1000", rows(101, 64)), 400, "max-row-samples"),
                new Hostile("oversized body", json("/predict", big), 413, "max-predict-body"),
                new Hostile("oversized chunked body", request("/predict").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes()))), 413, "max-predict-body"),
                new Hostile("text content type", request("/predict").header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString(rows(1, 64))), 415, "application/json"),
                new Hostile("XML content type", request("/predict").header("Content-Type", "application/xml")
                        .POST(HttpRequest.BodyPublishers.ofString("<instances/>")), 415, "application/json"),
                new Hostile("accepts only HTML", json("/predict", rows(1, 64)).header("Accept", "text/html"), 406, "application/json"),
                new Hostile("GET on predict", request("/predict").GET(), 405, "POST"),
                new Hostile("PUT on models", request("/models").PUT(HttpRequest.BodyPublishers.ofString("{}")), 405, "GET"),
                new Hostile("unknown path", request("/nowhere").GET(), 404, "no endpoint"),
                new Hostile("the error page itself", request("/error").GET(), 404, "no endpoint"),
                new Hostile("encoded traversal in path", request("/models/..%2F..%2Fetc/versions/1").GET(), 400, "is invalid"),
                new Hostile("encoded traversal in import", zip("/models/..%2Fescape/versions", new byte[] {1, 2}, API_KEY), 400, "is invalid"),
                new Hostile("upper-case name in path", request("/models/DIGITS/versions/1").GET(), 400, "is invalid"),
                new Hostile("name too long", request("/models/" + "a".repeat(65) + "/versions/1").GET(), 400, "is invalid"),
                new Hostile("version not a number in path", request("/models/digits/versions/one").GET(), 400, "'version' must be an integer"),
                new Hostile("negative version in path", request("/models/digits/versions/-1").GET(), 400, "positive"),
                new Hostile("unknown model in path", request("/models/nosuch/versions/1").GET(), 404, "no model named 'nosuch'"),
                new Hostile("unknown version artifact", withKey(request("/models/digits/versions/77/artifact")).GET(), 404, "no version 77"),
                new Hostile("artifact without API key", request("/models/digits/versions/1/artifact").GET(), 401, "X-API-Key"),
                new Hostile("import without API key", zip("/models/x/versions", new byte[] {1}, null), 401, "X-API-Key"),
                new Hostile("import with a wrong API key", zip("/models/x/versions", new byte[] {1}, "guess"), 403, "does not match"),
                new Hostile("import of garbage", zip("/models/garbage/versions", "not a zip at all".getBytes(), API_KEY), 422, "not a valid model artifact"),
                new Hostile("zip whose model.json is junk", zip("/models/junk/versions", zipOf("model.json", "{oops".getBytes()), API_KEY), 422, "not a valid model artifact"),
                new Hostile("zip bomb", zip("/models/bomb/versions", zipOf("model.json", new byte[300 * 1024 * 1024]), API_KEY), 413, "exceeds"),
                new Hostile("import of an empty body", zip("/models/empty/versions", new byte[0], API_KEY), 400, "empty"),
                new Hostile("import as JSON", withKey(json("/models/x/versions", "{}")), 415, "application/zip"),
                new Hostile("oversized import", zip("/models/huge/versions", new byte[3 * 1024 * 1024], API_KEY), 413, "max-artifact-body"),
                new Hostile("oversized chunked import", withKey(request("/models/hugechunks/versions")).header("Content-Type", "application/zip")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[3 * 1024 * 1024]))), 413, "max-artifact-body"),
                new Hostile("activate an unknown version", withKey(request("/models/digits/versions/55/activate"))
                        .POST(HttpRequest.BodyPublishers.noBody()), 404, "no version 55"),
                new Hostile("delete an unknown version", withKey(request("/models/digits/versions/56")).DELETE(), 404, "no version 56"),
                new Hostile("delete the active version", withKey(request("/models/digits/versions/1")).DELETE(), 409, "active"));

        List<String> failures = new ArrayList<>();
        for (Hostile hostile : cases) {
            HttpResponse<String> response;
            try {
                response = send(hostile.request());
            } catch (java.io.IOException e) {
                failures.add(hostile.name() + ": no response (" + e + ")");
                continue;
            }
            String body = response.body();
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            if (response.statusCode() != hostile.status()) {
                failures.add(hostile.name() + ": status " + response.statusCode() + " instead of " + hostile.status() + ": " + body);
                continue;
            }
            if (!contentType.startsWith("application/problem+json")) {
                failures.add(hostile.name() + ": content type " + contentType + ": " + body);
                continue;
            }
            JsonNode problem = JSON.readTree(body);
            if (problem.path("status").asInt() != hostile.status() || problem.path("title").asString().isEmpty()
                    || !problem.path("type").asString().startsWith("https://")) {
                failures.add(hostile.name() + ": incomplete problem " + body);
                continue;
            }
            if (!body.startsWith("{\"type\":")) {
                failures.add(hostile.name() + ": members not in RFC 9457 order: " + body);
            }
            if (!problem.path("detail").asString().contains(hostile.detailFragment())) {
                failures.add(hostile.name() + ": detail does not mention '" + hostile.detailFragment() + "': " + body);
            }
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
        assertThat(failures).isEmpty();

        HttpResponse<String> after = postJson("/predict?mcSamples=20&seed=1", digitsBody(0, 2));
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(after.body()).get("predictions")).hasSize(2);
        try (Stream<Path> files = Files.walk(store())) {
            assertThat(files.map(p -> store().relativize(p).toString()))
                    .noneMatch(p -> p.contains("etc") || p.contains("escape") || p.contains("garbage")
                            || p.contains("empty") || p.contains("huge") || p.contains("junk") || p.contains("bomb") || p.contains("hugechunks") || p.contains(".tmp-"));
        }
    }
}
