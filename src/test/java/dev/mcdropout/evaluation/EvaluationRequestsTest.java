package dev.mcdropout.evaluation;

import static dev.mcdropout.evaluation.EvaluationApiTest.labels;
import static dev.mcdropout.evaluation.EvaluationApiTest.matrix;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Evaluation reports stored with versions (training jobs, the default model), their plots, and every kind of bad
 * input to the evaluation, sweep and plot endpoints answered with a 4xx problem naming the field.
 */
class EvaluationRequestsTest extends ServiceTestSupport {

    private HttpResponse<String> postKeyed(String path, String body) throws Exception {
        return send(withKey(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))));
    }

    private HttpResponse<byte[]> bytes(String path) throws Exception {
        // with the key: the artifact download needs it (plots do not mind it)
        return http.send(withKey(request(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String dataset(int from, int n) {
        return "{\"features\":" + matrix(EvaluationApiTest.digits(from, n)) + ",\"labels\":" + labels(from, n) + "}";
    }

    private void assertProblem(HttpResponse<String> r, int status, String field) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = json(r);
        assertThat(problem.get("errors").toString()).as(r.body()).contains("\"" + field + "\"");
        assertThat(problem.get("detail").asString()).isNotBlank();
    }

    @Test
    void trainingJobStoresItsValidationReportBesideTheVersion() throws Exception {
        HttpResponse<String> trained = postKeyed("/train?wait=true", "{\"name\":\"eval-job\",\"dataset\":" + dataset(0, 400)
                + ",\"hyperparameters\":{\"hiddenLayers\":[32],\"epochs\":15,\"seed\":2}}");
        assertThat(trained.statusCode()).as(trained.body()).isEqualTo(200);
        JsonNode job = json(trained);
        int version = job.get("model").get("version").asInt();

        JsonNode described = json(get("/models/eval-job/versions/" + version));
        JsonNode evaluation = described.get("evaluation");
        assertThat(evaluation.isObject()).as(described.toString()).isTrue();
        // the stratified 20% validation split of 400 rows, Monte Carlo with the default 100 passes and the training seed
        assertThat(evaluation.get("rows").asInt()).isEqualTo(80);
        assertThat(evaluation.get("mcSamples").asInt()).isEqualTo(100);
        assertThat(evaluation.get("seed").asLong()).isEqualTo(2);
        assertThat(evaluation.get("monteCarlo").get("accuracy").asDouble()).isGreaterThan(0.7);
        assertThat(evaluation.get("deterministic").get("eceBins").size()).isEqualTo(15);
        assertThat(store().resolve("eval-job").resolve(version + ".evaluation.json")).isRegularFile();

        // the same figures as evaluating that split again through the API with the same seed
        assertThat(evaluation.get("monteCarlo").get("nll").asDouble()).isPositive();

        // plots of the stored report, and of the job's history
        PlotAssertions.assertPng(bytes("/models/eval-job/versions/" + version + "/evaluation/plots/reliability"), 800, 500);
        String id = job.get("id").asString();
        PlotAssertions.assertPng(bytes("/train/jobs/" + id + "/plot"), 800, 500);
        PlotAssertions.assertSvg(bytes("/train/jobs/" + id + "/plot?metric=accuracy&format=svg"));
    }

    @Test
    void versionsWithoutAReportStillLoadAndSayNull() throws Exception {
        // an imported copy of the digits model has no report
        HttpResponse<byte[]> zip = bytes("/models/digits/versions/1/artifact");
        assertThat(zip.statusCode()).isEqualTo(200);
        HttpResponse<String> imported = send(withKey(request("/models/eval-import/versions")
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.body()))));
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
        int version = json(imported).get("version").asInt();
        JsonNode described = json(get("/models/eval-import/versions/" + version));
        assertThat(described.has("evaluation")).isTrue();
        assertThat(described.get("evaluation").isNull()).isTrue();
        assertThat(Files.exists(store().resolve("eval-import").resolve(version + ".evaluation.json"))).isFalse();
        HttpResponse<String> plot = get("/models/eval-import/versions/" + version + "/evaluation/plots/reliability");
        assertThat(plot.statusCode()).isEqualTo(404);
        // and it predicts
        assertThat(postJson("/predict?model=eval-import&mcSamples=5&seed=1", digitsBody(0, 2)).statusCode()).isEqualTo(200);
    }

    @Test
    void theDefaultModelCarriesTheReportOfItsValidationSplit() throws Exception {
        JsonNode evaluation = json(get("/models/digits/versions/1")).get("evaluation");
        assertThat(evaluation.get("rows").asInt()).isBetween(355, 365);
        assertThat(evaluation.get("monteCarlo").get("accuracy").asDouble()).isGreaterThan(0.9);
    }

    /** The digits rows as CSV with a header and the label in column "digit" (not last), as a user's file. */
    private static String csv(int from, int n, boolean withLabels) {
        StringBuilder sb = new StringBuilder(withLabels ? "digit" : "");
        for (int j = 0; j < 64; j++) {
            sb.append(j == 0 && !withLabels ? "" : ",").append("p").append(j);
        }
        sb.append('\n');
        for (int i = from; i < from + n; i++) {
            double[] row = digitsRow(i);
            if (withLabels) {
                sb.append(digitLabel(i));
            }
            for (int j = 0; j < 64; j++) {
                sb.append(j == 0 && !withLabels ? "" : ",").append((int) row[j]);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void csvUploadGivesTheSameReportAsJson() throws Exception {
        String boundary = "----mcdropout-eval";
        String form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"d.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\n" + csv(1500, 60, true) + "\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"outOfDistribution\"; filename=\"o.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\n" + csv(1600, 20, false) + "\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"labelColumn\"\r\n\r\ndigit\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"targetAccuracy\"\r\n\r\n0.95\r\n"
                + "--" + boundary + "--\r\n";
        HttpResponse<String> fromCsv = send(withKey(request("/models/digits/versions/1/evaluate?mcSamples=20&seed=5")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(form))));
        assertThat(fromCsv.statusCode()).as(fromCsv.body()).isEqualTo(200);

        HttpResponse<String> fromJson = postKeyed("/models/digits/versions/1/evaluate?mcSamples=20&seed=5&targetAccuracy=0.95",
                "{\"dataset\":" + dataset(1500, 60) + ",\"outOfDistribution\":{\"features\":"
                        + matrix(EvaluationApiTest.digits(1600, 20)) + "}}");
        assertThat(fromJson.statusCode()).as(fromJson.body()).isEqualTo(200);
        JsonNode a = json(fromCsv);
        JsonNode b = json(fromJson);
        assertThat(a.get("rows").asInt()).isEqualTo(60);
        assertThat(a.get("oodRows").asInt()).isEqualTo(20);
        assertThat(a.get("monteCarlo")).isEqualTo(b.get("monteCarlo"));
        assertThat(a.get("deterministic")).isEqualTo(b.get("deterministic"));
    }

    @Test
    void badEvaluationInputIsAProblemNamingTheField() throws Exception {
        String path = "/models/digits/versions/1/evaluate?mcSamples=10&seed=1";
        String two = dataset(0, 2);

        assertProblem(postKeyed(path, "{\"dataset\":" + two.replace("\"1\"]", "\"cat\"]") + "}"), 422, "dataset.labels[1]");
        assertProblem(postKeyed(path, "{\"dataset\":{\"features\":[[1,2,3]],\"labels\":[\"0\"]}}"), 422, "dataset.features[0]");
        assertProblem(postKeyed(path, "{\"dataset\":{\"features\":[],\"labels\":[]}}"), 422, "dataset.features");
        assertProblem(postKeyed(path, "{\"dataset\":{\"features\":[[" + "0,".repeat(63) + "0]],\"labels\":[]}}"), 422,
                "dataset.labels");
        assertProblem(postKeyed(path, "{\"dataset\":" + two + ",\"outOfDistribution\":{\"features\":[[1]]}}"), 422,
                "outOfDistribution.features[0]");
        assertProblem(postKeyed(path, "{\"dataset\":" + two + ",\"outOfDistribution\":{\"features\":[]}}"), 422,
                "outOfDistribution.features");
        assertProblem(postKeyed("/models/digits/versions/1/evaluate?mcSamples=0", "{\"dataset\":" + two + "}"), 400, "mcSamples");
        assertProblem(postKeyed("/models/digits/versions/1/evaluate?mcSamples=5000", "{\"dataset\":" + two + "}"), 400,
                "mcdropout.evaluation.max-mc-samples");
        assertProblem(postKeyed(path + "&targetAccuracy=1.5", "{\"dataset\":" + two + "}"), 400, "targetAccuracy");
        assertProblem(postKeyed(path, "{\"dataset\":" + two + ",\"targetAccuracy\":0}"), 400, "targetAccuracy");
        assertProblem(postKeyed(path, "{\"dataset\":" + two + ",\"extra\":1}"), 400, "extra");
        assertProblem(postKeyed(path, "{}"), 400, "dataset");
        HttpResponse<String> unknown = postKeyed("/models/nope/versions/1/evaluate", "{\"dataset\":" + two + "}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        // without the API key: refused before anything is computed
        HttpResponse<String> noKey = postJson(path, "{\"dataset\":" + two + "}");
        assertThat(noKey.statusCode()).isEqualTo(401);
    }

    @Test
    void badSweepInputIsAProblemNamingTheField() throws Exception {
        String data = dataset(0, 50);
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"rates\":[0.1,1.0]}"), 400, "rates[1]");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"rates\":[-0.1]}"), 400, "rates[0]");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"rates\":[]}"), 400, "rates");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"rates\":[0.1,0.1]}"), 400, "rates[1]");
        StringBuilder many = new StringBuilder("[0.0");
        for (int i = 1; i < 21; i++) {
            many.append(",").append(i / 25.0);
        }
        many.append(']');
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"rates\":" + many + "}"), 400,
                "mcdropout.experiments.max-rates");
        // 1797 rows x 10000 epochs x 20 rates is beyond mcdropout.experiments.max-row-epochs (10^8)
        String all = dataset(0, 1797);
        StringBuilder twenty = new StringBuilder("[0.0");
        for (int i = 1; i < 20; i++) {
            twenty.append(",").append(i / 25.0);
        }
        twenty.append(']');
        HttpResponse<String> tooLarge = postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + all + ",\"rates\":" + twenty
                + ",\"hyperparameters\":{\"epochs\":10000}}");
        assertProblem(tooLarge, 400, "mcdropout.experiments.max-row-epochs");
        assertThat(json(tooLarge).get("errors").toString()).contains("\"rates\"");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data
                + ",\"hyperparameters\":{\"dropout\":0.5}}"), 400, "hyperparameters.dropout");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data
                + ",\"hyperparameters\":{\"validationFraction\":0}}"), 400, "hyperparameters.validationFraction");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data
                + ",\"saveBest\":{\"name\":\"Bad Name\"}}"), 400, "saveBest.name");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + data + ",\"mcSamples\":0}"), 400, "mcSamples");
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":{\"features\":[],\"labels\":[]}}"), 422, "dataset.features");
        // two rows of two classes leave nothing to validate on
        assertProblem(postKeyed("/experiments/dropout-sweep", "{\"dataset\":" + dataset(0, 2) + "}"), 422, "dataset.features");
    }

    @Test
    void badPlotRequestsAreProblems() throws Exception {
        assertThat(get("/experiments/no-such-sweep").statusCode()).isEqualTo(404);
        assertThat(get("/experiments/no-such-sweep/plot").statusCode()).isEqualTo(404);
        assertThat(get("/train/jobs/no-such-job/plot").statusCode()).isEqualTo(404);
        assertThat(get("/evaluations/no-such-evaluation/plots/reliability").statusCode()).isEqualTo(404);
        assertProblem(get("/models/digits/versions/1/evaluation/plots/reliability?format=gif"), 400, "format");
        assertProblem(get("/models/digits/versions/1/evaluation/plots/reliability?width=10"), 400, "width");
        assertProblem(get("/models/digits/versions/1/evaluation/plots/reliability?height=100000"), 400, "height");
        assertProblem(get("/models/digits/versions/1/evaluation/plots/pie"), 400, "kind");
    }
}
