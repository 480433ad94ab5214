package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Malformed and out-of-range training requests: each gets a 4xx problem+json that names what to fix, none a
 * 5xx, and none leaves anything in the store. Row and body limits are lowered here so they are cheap to hit.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.security.api-key=" + TrainingTestSupport.API_KEY,
        "mcdropout.startup.train-default-model=false",
        "mcdropout.limits.max-training-rows=500",
        "mcdropout.limits.max-training-body=1MB",
})
class MalformedTrainingRequestsTest extends TrainingTestSupport {

    private static final String OK_DATA = "{\"features\":[[1,2],[3,4],[5,6],[7,8]],\"labels\":[\"a\",\"b\",\"a\",\"b\"]}";
    private static final String OK_CSV = "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n";
    private static final List<Integer> SEEN = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    /** A request with hyperparameters {@code h} on the good data set. */
    static String hp(String h) {
        return trainJson("ok", OK_DATA, h);
    }

    static Stream<Arguments> jsonRequests() {
        String wideRow = "[" + "1,".repeat(100_000) + "1]";
        StringBuilder tooManyRows = new StringBuilder("{\"name\":\"ok\",\"dataset\":{\"features\":[");
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 501; i++) {
            tooManyRows.append(i == 0 ? "" : ",").append("[").append(i).append("]");
            labels.append(i == 0 ? "" : ",").append(i % 2 == 0 ? "\"a\"" : "\"b\"");
        }
        tooManyRows.append("],\"labels\":[").append(labels).append("]}}");
        return Stream.of(
                Arguments.of("broken JSON", "{\"name\":", 400, "invalid-json"),
                Arguments.of("JSON null body", "null", 400, "invalid"),
                Arguments.of("name with capitals and space", trainJson("Bad Name", OK_DATA, null), 400, "invalid-model-name"),
                Arguments.of("path traversal name", trainJson("../etc", OK_DATA, null), 400, "invalid-model-name"),
                Arguments.of("no name", "{\"dataset\":" + OK_DATA + "}", 400, "invalid-model-name"),
                Arguments.of("no dataset", "{\"name\":\"ok\"}", 400, "invalid-request"),
                Arguments.of("no labels", "{\"name\":\"ok\",\"dataset\":{\"features\":[[1],[2]]}}", 400, "invalid-request"),
                Arguments.of("labels count differs", trainJson("ok", "{\"features\":[[1],[2],[3]],\"labels\":[\"a\",\"b\"]}", null), 422, "invalid-dataset"),
                Arguments.of("rows of unequal length", trainJson("ok", "{\"features\":[[1,2],[3]],\"labels\":[\"a\",\"b\"]}", null), 422, "invalid-dataset"),
                Arguments.of("one class only", trainJson("ok", "{\"features\":[[1],[2]],\"labels\":[\"a\",\"a\"]}", null), 422, "invalid-dataset"),
                Arguments.of("no rows", trainJson("ok", "{\"features\":[],\"labels\":[]}", null), 422, "invalid-dataset"),
                Arguments.of("numeric labels", trainJson("ok", "{\"features\":[[1],[2]],\"labels\":[0,1]}", null), 400, "invalid-json"),
                Arguments.of("null label", trainJson("ok", "{\"features\":[[1],[2]],\"labels\":[\"a\",null]}", null), 422, "invalid-dataset"),
                Arguments.of("string feature", trainJson("ok", "{\"features\":[[\"1\"],[2]],\"labels\":[\"a\",\"b\"]}", null), 400, "invalid-json"),
                Arguments.of("null feature", trainJson("ok", "{\"features\":[[null],[2]],\"labels\":[\"a\",\"b\"]}", null), 400, "invalid-json"),
                Arguments.of("NaN feature", trainJson("ok", "{\"features\":[[NaN],[2]],\"labels\":[\"a\",\"b\"]}", null), 400, "invalid-json"),
                Arguments.of("feature beyond double range", trainJson("ok", "{\"features\":[[1e999],[2]],\"labels\":[\"a\",\"b\"]}", null), 4, ""),
                Arguments.of("too many features", trainJson("ok", "{\"features\":[" + wideRow + "," + wideRow + "],\"labels\":[\"a\",\"b\"]}", null), 400, "max-training-features"),
                Arguments.of("too many rows", tooManyRows.toString(), 413, "max-training-rows"),
                Arguments.of("epochs 0", hp("{\"epochs\":0}"), 400, "epochs"),
                Arguments.of("epochs over the limit", hp("{\"epochs\":10001}"), 400, "max-epochs"),
                Arguments.of("epochs not an integer", hp("{\"epochs\":10.5}"), 400, "hyperparameters.epochs"),
                Arguments.of("epochs as a string", hp("{\"epochs\":\"10\"}"), 400, "hyperparameters.epochs"),
                Arguments.of("epochs beyond int range", hp("{\"epochs\":99999999999}"), 400, "hyperparameters.epochs"),
                Arguments.of("dropout 1", hp("{\"dropout\":1.0}"), 400, "dropout"),
                Arguments.of("dropout negative", hp("{\"dropout\":-0.1}"), 400, "dropout"),
                Arguments.of("dropout as a string", hp("{\"dropout\":\"0.5\"}"), 400, "hyperparameters.dropout"),
                Arguments.of("dropout list of wrong length", hp("{\"hiddenLayers\":[8,8],\"dropout\":[0.1]}"), 400, "dropout"),
                Arguments.of("dropout list with a string", hp("{\"dropout\":[\"x\"]}"), 400, "hyperparameters.dropout"),
                Arguments.of("inputDropout 1.5", hp("{\"inputDropout\":1.5}"), 400, "inputDropout"),
                Arguments.of("17 hidden layers", hp("{\"hiddenLayers\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"), 400, "max-hidden-layers"),
                Arguments.of("16385 hidden units", hp("{\"hiddenLayers\":[16385]}"), 400, "max-hidden-units"),
                Arguments.of("hidden layer of 0 units", hp("{\"hiddenLayers\":[0]}"), 400, "hiddenLayers[0]"),
                Arguments.of("hiddenLayers as a number", hp("{\"hiddenLayers\":128}"), 400, "hiddenLayers"),
                Arguments.of("learning rate 0", hp("{\"learningRate\":0}"), 400, "learningRate"),
                Arguments.of("negative learning rate", hp("{\"learningRate\":-0.1}"), 400, "learningRate"),
                Arguments.of("batch size 0", hp("{\"batchSize\":0}"), 400, "batchSize"),
                Arguments.of("unknown optimizer", hp("{\"optimizer\":\"rmsprop\"}"), 400, "optimizer"),
                Arguments.of("momentum 1", hp("{\"momentum\":1}"), 400, "momentum"),
                Arguments.of("negative l2", hp("{\"l2\":-1}"), 400, "l2"),
                Arguments.of("validationFraction 1", hp("{\"validationFraction\":1}"), 400, "validationFraction"),
                Arguments.of("negative patience", hp("{\"earlyStoppingPatience\":-1}"), 400, "earlyStoppingPatience"),
                Arguments.of("seed as a string", hp("{\"seed\":\"one\"}"), 400, "hyperparameters.seed"),
                Arguments.of("standardize as a number", hp("{\"standardize\":1}"), 400, "hyperparameters.standardize"),
                Arguments.of("dropConnect as a string", hp("{\"dropConnect\":\"yes\"}"), 400, "hyperparameters.dropConnect"),
                Arguments.of("dropConnect without hidden layers", hp("{\"hiddenLayers\":[],\"dropConnect\":true}"), 400,
                        "hyperparameters.dropConnect"),
                Arguments.of("dropConnect with every dropout 0", hp("{\"dropout\":[0],\"dropConnect\":true}"), 400,
                        "hyperparameters.dropConnect"),
                Arguments.of("batchNorm as a number", hp("{\"batchNorm\":1}"), 400, "hyperparameters.batchNorm"),
                Arguments.of("batchNorm without hidden layers", hp("{\"hiddenLayers\":[],\"batchNorm\":true}"), 400,
                        "hyperparameters.batchNorm"),
                Arguments.of("batchNorm with batches of one row", hp("{\"batchNorm\":true,\"batchSize\":1}"), 400,
                        "hyperparameters.batchSize"),
                Arguments.of("batchNormMomentum without batchNorm", hp("{\"batchNormMomentum\":0.2}"), 400,
                        "hyperparameters.batchNormMomentum"),
                Arguments.of("batchNormEpsilon without batchNorm", hp("{\"batchNorm\":false,\"batchNormEpsilon\":0.001}"),
                        400, "hyperparameters.batchNormEpsilon"),
                Arguments.of("batchNormMomentum 0", hp("{\"batchNorm\":true,\"batchNormMomentum\":0}"), 400,
                        "hyperparameters.batchNormMomentum"),
                Arguments.of("batchNormMomentum above 1", hp("{\"batchNorm\":true,\"batchNormMomentum\":1.5}"), 400,
                        "hyperparameters.batchNormMomentum"),
                Arguments.of("batchNormEpsilon 0", hp("{\"batchNorm\":true,\"batchNormEpsilon\":0}"), 400,
                        "hyperparameters.batchNormEpsilon"),
                Arguments.of("misspelt hyperparameter", hp("{\"epoch\":10}"), 400, "epoch"),
                Arguments.of("unknown top-level field", "{\"name\":\"ok\",\"dataset\":" + OK_DATA + ",\"activte\":true}", 400, "activte"),
                Arguments.of("activate as a string", "{\"name\":\"ok\",\"dataset\":" + OK_DATA + ",\"activate\":\"yes\"}", 400, "activate"),
                Arguments.of("hyperparameters as a list", "{\"name\":\"ok\",\"dataset\":" + OK_DATA + ",\"hyperparameters\":[1]}", 400, "hyperparameters"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonRequests")
    void malformedJsonTrainingRequestGetsAProblem(String what, String body, int status, String mentions) throws Exception {
        assertProblem(postJson("/train", body), status, mentions);
    }

    static Stream<Arguments> formRequests() {
        StringBuilder bigCsv = new StringBuilder("x,label\n");
        for (int i = 0; i < 501; i++) {
            bigCsv.append(i).append(',').append(i % 2 == 0 ? "a" : "b").append('\n');
        }
        return Stream.<Object[]>of(
                new Object[] {"no data part", (Supplier<Multipart>) () -> new Multipart().field("name", "ok"), 400, "data"},
                new Object[] {"no name", (Supplier<Multipart>) () -> new Multipart().file("data", "d.csv", "text/csv", OK_CSV), 400, "invalid-model-name"},
                new Object[] {"unknown label column", (Supplier<Multipart>) () -> form(OK_CSV).field("labelColumn", "species"), 400, "species"},
                new Object[] {"text in a feature column", (Supplier<Multipart>) () -> form("x1,x2,label\n1,two,a\n3,4,b\n"), 422, "two"},
                new Object[] {"NaN in a feature column", (Supplier<Multipart>) () -> form("x1,x2,label\n1,NaN,a\n3,4,b\n"), 422, "NaN"},
                new Object[] {"Infinity in a feature column", (Supplier<Multipart>) () -> form("x1,x2,label\n1,Infinity,a\n3,4,b\n"), 422, "Infinity"},
                new Object[] {"row with a missing cell", (Supplier<Multipart>) () -> form("x1,x2,label\n1,2,a\n3,b\n"), 422, "line 3"},
                new Object[] {"unterminated quote", (Supplier<Multipart>) () -> form("x1,x2,label\n1,\"2,a\n3,4,b\n"), 400, "malformed"},
                new Object[] {"not UTF-8", (Supplier<Multipart>) () -> form("x1,x2,label\n1,2,caf\u00e9\n3,4,b\n").latin1(), 400, "UTF-8"},
                new Object[] {"header only", (Supplier<Multipart>) () -> form("x1,x2,label\n"), 422, "no data rows"},
                new Object[] {"single column", (Supplier<Multipart>) () -> form("label\na\nb\n"), 400, "invalid-csv"},
                new Object[] {"duplicate header", (Supplier<Multipart>) () -> form("x,x,label\n1,2,a\n3,4,b\n"), 400, "invalid-csv"},
                new Object[] {"one class", (Supplier<Multipart>) () -> form("x,label\n1,a\n2,a\n"), 422, "2 distinct"},
                new Object[] {"too many CSV rows", (Supplier<Multipart>) () -> form(bigCsv.toString()), 413, "max-training-rows"},
                new Object[] {"hyperparameters not JSON", (Supplier<Multipart>) () -> form(OK_CSV).field("hyperparameters", "{epochs:5"), 400, "invalid-hyperparameters"},
                new Object[] {"hyperparameters out of range", (Supplier<Multipart>) () -> form(OK_CSV).field("hyperparameters", "{\"dropout\":2}"), 400, "dropout"},
                new Object[] {"activate not a boolean", (Supplier<Multipart>) () -> form(OK_CSV).field("activate", "maybe"), 400, "activate"},
                new Object[] {"unknown form field", (Supplier<Multipart>) () -> form(OK_CSV).field("epochs", "5"), 400, "epochs"},
                new Object[] {"name sent twice", (Supplier<Multipart>) () -> form(OK_CSV).field("name", "other"), 400, "name"})
                .map(Arguments::of);
    }

    static Multipart form(String csv) {
        return new Multipart().file("data", "d.csv", "text/csv", csv).field("name", "ok");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formRequests")
    void malformedCsvTrainingRequestGetsAProblem(String what, Supplier<Multipart> form, int status, String mentions)
            throws Exception {
        // the form's own operation (POST /train/csv) and its original address answer alike
        assertProblem(postMultipart("/train", form.get()), status, mentions);
        assertProblem(postMultipart("/train/csv", form.get()), status, mentions);
    }

    @Test
    void otherMalformedTrainingRequestsGetProblems() throws Exception {
        assertProblem(send(HttpRequest.newBuilder(uri("/train")).header("Content-Type", "text/plain")
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofString("hello"))), 415, "Content-Type");
        assertProblem(postJson("/train?wait=maybe", hp(null)), 400, "wait");
        assertProblem(postJson("/train/csv", hp(null)), 415, "Content-Type");
        byte[] big = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        assertProblem(send(HttpRequest.newBuilder(uri("/train")).header("Content-Type", "application/json")
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofByteArray(big))), 413, "max-training-body");
        assertProblem(send(HttpRequest.newBuilder(uri("/train/csv")).header("Content-Type", "multipart/form-data; boundary=xyz")
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofByteArray(big))), 413, "max-training-body");
        assertProblem(send(HttpRequest.newBuilder(uri("/train")).header("Content-Type", "multipart/form-data; boundary=xyz")
                .header("X-API-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofString("--xyz\r\ngarbage"))), 400, "multipart");
        assertProblem(get("/train/jobs/no-such-job"), 404, "no-such-job");
        assertProblem(delete("/train/jobs/no-such-job"), 404, "no-such-job");
        assertProblem(send(HttpRequest.newBuilder(uri("/train/jobs")).header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.noBody())), 405, "method");
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    void assertProblem(HttpResponse<String> response, int status, String mentions) {
        String body = response.body();
        if (status == 4) {
            assertThat(response.statusCode()).as(body).isBetween(400, 499);
        } else {
            assertThat(response.statusCode()).as(body).isEqualTo(status);
        }
        assertThat(response.headers().firstValue("Content-Type")).as(body)
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = JSON.readTree(body);
        assertThat(problem.get("status").asInt()).isEqualTo(response.statusCode());
        assertThat(problem.get("type").asString()).startsWith("https://mcdropout.dev/problems/");
        assertThat(problem.get("detail").asString()).isNotBlank();
        assertThat(body).as("names the problem").containsIgnoringCase(mentions);
        SEEN.add(response.statusCode());
    }

    @AfterAll
    static void nothingWasQueuedOrStored() {
        assertThat(SEEN).as("malformed requests answered").hasSizeGreaterThanOrEqualTo(20);
        assertThat(SEEN).allMatch(s -> s >= 400 && s < 500);
        assertThat(files(store)).isEmpty();
    }

    @Test
    void theServiceStillTrainsAfterwards() throws Exception {
        HttpResponse<String> ok = postJson("/train?wait=true", trainJson("still-ok", OK_DATA, "{\"epochs\":2}"));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(JSON.readTree(ok.body()).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(files(store)).contains("still-ok/1.zip");
        java.nio.file.Files.walk(store).sorted(java.util.Comparator.reverseOrder())
                .filter(p -> !p.equals(store)).forEach(p -> p.toFile().delete());
    }
}
