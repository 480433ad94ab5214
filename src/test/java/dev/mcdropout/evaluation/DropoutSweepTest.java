package dev.mcdropout.evaluation;

import static dev.mcdropout.evaluation.EvaluationApiTest.labels;
import static dev.mcdropout.evaluation.EvaluationApiTest.matrix;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The dropout-rate sweep on the bundled digits data, through the API, as one job. */
class DropoutSweepTest extends ServiceTestSupport {

    private HttpResponse<String> postKeyed(String path, String body) throws Exception {
        return send(withKey(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))));
    }

    private HttpResponse<byte[]> bytes(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode awaitFinished(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job;
        do {
            job = json(get("/experiments/" + id));
            String status = job.get("status").asString();
            if (!status.equals("QUEUED") && !status.equals("RUNNING")) {
                return job;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("sweep " + id + " did not finish within " + timeout + ": " + job);
    }

    @Test
    void sweepOverTheDefaultRatesOnDigitsNamesTheBestRatePlotsItAndSavesAVersionThatPredicts() throws Exception {
        // few epochs and a small layer keep it quick; enough for the rates to differ in validation NLL
        String body = "{\"dataset\":{\"features\":" + matrix(EvaluationApiTest.digits(0, 1797)) + ",\"labels\":"
                + labels(0, 1797) + "},\"hyperparameters\":{\"hiddenLayers\":[16],\"epochs\":5,"
                + "\"earlyStoppingPatience\":0,\"seed\":3},\"mcSamples\":20,\"saveBest\":{\"name\":\"sweep-best\"}}";

        HttpResponse<String> posted = postKeyed("/experiments/dropout-sweep", body);

        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        String id = json(posted).get("id").asString();
        assertThat(posted.headers().firstValue("Location")).hasValue("/experiments/" + id);
        JsonNode sweep = awaitFinished(id, Duration.ofMinutes(4));
        assertThat(sweep.get("status").asString()).as(sweep.toString()).isEqualTo("SUCCEEDED");
        assertThat(sweep.get("progress").asDouble()).isEqualTo(1.0);

        List<Double> rates = new ArrayList<>();
        sweep.get("rates").forEach(r -> rates.add(r.asDouble()));
        assertThat(rates).containsExactly(0.0, 0.3, 0.5, 0.7, 0.9);
        JsonNode runs = sweep.get("runs");
        assertThat(runs.size()).isEqualTo(5);
        double bestNll = Double.POSITIVE_INFINITY;
        double expectedBest = Double.NaN;
        for (int i = 0; i < 5; i++) {
            JsonNode run = runs.get(i);
            assertThat(run.get("rate").asDouble()).isEqualTo(rates.get(i));
            assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(run.get("history").get("validationAccuracy").size()).isEqualTo(5);
            assertThat(run.get("history").get("validationLoss").size()).isEqualTo(5);
            JsonNode report = run.get("report");
            assertThat(report.get("accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(report.get("ece").asDouble()).isBetween(0.0, 1.0);
            assertThat(report.has("misclassificationAurocMutualInformation")).isTrue();
            if (report.get("nll").asDouble() < bestNll) {
                bestNll = report.get("nll").asDouble();
                expectedBest = rates.get(i);
            }
        }
        assertThat(sweep.get("bestRate").asDouble()).isEqualTo(expectedBest);
        // with dropout 0 there is nothing to average: Monte Carlo is the deterministic pass
        assertThat(runs.get(0).get("report").get("nll").asDouble())
                .isEqualTo(runs.get(0).get("report").get("deterministicNll").asDouble());

        // the tutorial's figure, as PNG at the advertised default size and another size, and as SVG
        PlotAssertions.assertPng(bytes("/experiments/" + id + "/plot"), 800, 500);
        PlotAssertions.assertPng(bytes("/experiments/" + id + "/plot?metric=loss&width=1000&height=600"), 1000, 600);
        PlotAssertions.assertSvg(bytes("/experiments/" + id + "/plot?format=svg"));

        // saveBest stored the best run, with its report, and it predicts
        JsonNode model = sweep.get("model");
        assertThat(model.get("name").asString()).isEqualTo("sweep-best");
        int version = model.get("version").asInt();
        JsonNode described = json(get("/models/sweep-best/versions/" + version));
        assertThat(described.get("hyperparameters").get("dropout").get(0).asDouble()).isEqualTo(expectedBest);
        assertThat(described.get("evaluation").get("monteCarlo").get("nll").asDouble()).isEqualTo(bestNll);
        HttpResponse<String> predicted = postJson("/predict?model=sweep-best:" + version + "&mcSamples=20&seed=1",
                digitsBody(0, 20));
        assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
        long right = 0;
        JsonNode predictions = json(predicted).get("predictions");
        for (int i = 0; i < 20; i++) {
            right += predictions.get(i).get("predictedClass").asString().equals(Integer.toString(digitLabel(i))) ? 1 : 0;
        }
        assertThat(right).as("of 20 digits").isGreaterThanOrEqualTo(15);
        assertThat(json(get("/experiments")).toString()).contains(id);
    }

    @Test
    void sweepAcceptsACsvUploadWithRatesAndHyperparametersAsFormFields() throws Exception {
        StringBuilder csv = new StringBuilder();
        for (int j = 0; j < 64; j++) {
            csv.append("p").append(j).append(',');
        }
        csv.append("digit\n");
        for (int i = 0; i < 300; i++) {
            for (double v : digitsRow(i)) {
                csv.append((int) v).append(',');
            }
            csv.append(digitLabel(i)).append('\n');
        }
        String boundary = "----mcdropout-sweep";
        StringBuilder form = new StringBuilder("--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; "
                + "filename=\"digits.csv\"\r\nContent-Type: text/csv\r\n\r\n" + csv + "\r\n");
        for (String[] field : new String[][] {{"labelColumn", "digit"}, {"rates", "[0.2, 0.4]"},
                {"hyperparameters", "{\"hiddenLayers\": [8], \"epochs\": 2, \"earlyStoppingPatience\": 0}"}, {"mcSamples", "5"}}) {
            form.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(field[0])
                    .append("\"\r\n\r\n").append(field[1]).append("\r\n");
        }
        form.append("--").append(boundary).append("--\r\n");
        HttpResponse<String> posted = send(withKey(request("/experiments/dropout-sweep")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(form.toString()))));
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        JsonNode sweep = awaitFinished(json(posted).get("id").asString(), Duration.ofMinutes(3));
        assertThat(sweep.get("status").asString()).as(sweep.toString()).isEqualTo("SUCCEEDED");
        assertThat(sweep.get("rows").asInt()).isEqualTo(300);
        assertThat(sweep.get("mcSamples").asInt()).isEqualTo(5);
        assertThat(sweep.get("bestRate").asDouble()).isIn(0.2, 0.4);
        assertThat(sweep.get("runs").get(1).get("history").get("validationLoss").size()).isEqualTo(2);

        String badRates = form.toString().replace("[0.2, 0.4]", "lots");
        HttpResponse<String> bad = send(withKey(request("/experiments/dropout-sweep")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(badRates))));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(json(bad).get("errors").toString()).contains("rates");
    }

    @Test
    void deletingARunningSweepCancelsItAndSavesNothing() throws Exception {
        String body = "{\"dataset\":{\"features\":" + matrix(EvaluationApiTest.digits(0, 300)) + ",\"labels\":"
                + labels(0, 300) + "},\"rates\":[0.1,0.2],\"hyperparameters\":{\"hiddenLayers\":[16],\"epochs\":5000,"
                + "\"earlyStoppingPatience\":0,\"batchSize\":8},\"saveBest\":{\"name\":\"never-saved\"}}";
        HttpResponse<String> posted = postKeyed("/experiments/dropout-sweep", body);
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        String id = json(posted).get("id").asString();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = json(get("/experiments/" + id));
            if (job.get("status").asString().equals("RUNNING") && job.get("runs").get(0).get("epoch").asInt() >= 1) {
                break;
            }
            Thread.sleep(50);
        }
        PlotAssertions.assertPng(bytes("/experiments/" + id + "/plot"), 800, 500);

        HttpResponse<String> cancelled = send(withKey(request("/experiments/" + id).DELETE()));

        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(json(cancelled).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(json(cancelled).has("bestRate")).isFalse();
        assertThat(get("/models/never-saved/versions/1").statusCode()).isEqualTo(404);
        assertThat(send(withKey(request("/experiments/" + id).DELETE())).statusCode()).isEqualTo(409);
    }
}
