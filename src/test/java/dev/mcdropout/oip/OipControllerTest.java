package dev.mcdropout.oip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol V2 endpoints, called as an OIP client would: every request is written as the
 * specification writes it (kserve/open-inference-protocol, inference_rest.md: "id", "parameters",
 * "inputs" with name/shape/datatype/data, "outputs" with names), as raw JSON, never through our own DTOs.
 */
class OipControllerTest extends ServiceTestSupport {

    private static String row(int i) {
        double[] row = digitsRow(i);
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < row.length; j++) {
            sb.append(j == 0 ? "" : ", ").append((int) row[j]);
        }
        return sb.toString();
    }

    private HttpResponse<String> infer(String path, String body) throws Exception {
        return postJson(path, body);
    }

    private static float[] floats(JsonNode data) {
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i).floatValue();
        }
        return out;
    }

    private static JsonNode output(JsonNode response, String name) {
        for (JsonNode o : response.get("outputs")) {
            if (o.get("name").asString().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no output " + name + " in " + response);
    }

    private static void assertOipError(HttpResponse<String> response, int status, String mentions) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode body = json(response);
        assertThat(body.propertyNames()).containsExactly("error");
        assertThat(body.get("error").asString()).contains(mentions);
    }

    @Test
    void serverMetadataLivenessAndReadinessAnswerAsTheSpecificationShows() throws Exception {
        JsonNode metadata = json(get("/v2"));
        assertThat(metadata.get("name").asString()).isEqualTo("mc-dropout-service");
        assertThat(metadata.get("version").asString()).isNotBlank();
        assertThat(metadata.get("extensions").isArray()).isTrue();
        assertThat(json(get("/v2/")).get("name").asString()).isEqualTo("mc-dropout-service");

        HttpResponse<String> live = get("/v2/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(json(live).get("live").asBoolean()).isTrue();
        HttpResponse<String> ready = get("/v2/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).get("ready").asBoolean()).isTrue();
    }

    @Test
    void modelMetadataDescribesTheFp32InputAndTheUncertaintyOutputs() throws Exception {
        JsonNode active = json(get("/models/digits/versions/" + activeVersion()));
        JsonNode metadata = json(get("/v2/models/digits"));
        assertThat(metadata.get("name").asString()).isEqualTo("digits");
        assertThat(metadata.get("platform").asString()).isEqualTo("mcdropout_nd4j");
        assertThat(metadata.get("versions").toString()).contains("\"" + activeVersion() + "\"");
        JsonNode input = metadata.get("inputs").get(0);
        assertThat(input.get("datatype").asString()).isEqualTo("FP32");
        assertThat(input.get("shape").toString()).isEqualTo("[-1,64]");
        List<String> names = new ArrayList<>();
        metadata.get("outputs").forEach(o -> names.add(o.get("name").asString()));
        assertThat(names).containsExactly("probabilities_mean", "probabilities_std", "predictive_entropy",
                "mutual_information", "variation_ratio", "predicted_class");
        assertThat(output(metadata, "probabilities_std").get("shape").toString()).isEqualTo("[-1,10]");
        assertThat(output(metadata, "variation_ratio").get("shape").toString()).isEqualTo("[-1]");
        assertThat(output(metadata, "predicted_class").get("datatype").asString()).isEqualTo("BYTES");
        assertThat(metadata.get("properties").get("classes").asString()).isEqualTo("[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]");
        assertThat(active.isObject()).isTrue();

        JsonNode pinned = json(get("/v2/models/digits/versions/" + activeVersion()));
        assertThat(pinned.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,64]");
    }

    @Test
    void modelReadinessIsTrueForTheActiveAndAStoredVersionAndAnErrorForUnknownOnes() throws Exception {
        HttpResponse<String> ready = get("/v2/models/digits/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).get("name").asString()).isEqualTo("digits");
        assertThat(json(ready).get("ready").asBoolean()).isTrue();
        assertThat(json(get("/v2/models/digits/versions/" + activeVersion() + "/ready")).get("ready").asBoolean()).isTrue();
        assertOipError(get("/v2/models/nosuchmodel/ready"), 404, "nosuchmodel");
        assertOipError(get("/v2/models/digits/versions/999999/ready"), 404, "999999");
        assertOipError(get("/v2/models/digits/versions/latest/ready"), 400, "positive integer");
    }

    @Test
    void inferWithMcSamplesAndSeedReturnsWhatPredictReturnsAsFp32TensorsAndEchoesTheId() throws Exception {
        String body = """
                {
                  "id" : "42",
                  "parameters" : {"mc_samples" : 100, "seed" : 7},
                  "inputs" : [
                    {
                      "name" : "input",
                      "shape" : [ 1, 64 ],
                      "datatype" : "FP32",
                      "data" : [ %s ]
                    }
                  ]
                }""".formatted(row(0));
        HttpResponse<String> response = infer("/v2/models/digits/infer", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode oip = json(response);
        JsonNode predict = json(postJson("/predict?mcSamples=100&seed=7", digitsBody(0, 1)));

        assertThat(oip.get("id").asString()).isEqualTo("42");
        assertThat(oip.get("model_name").asString()).isEqualTo("digits");
        assertThat(oip.get("model_version").asString()).isEqualTo(predict.get("model").get("version").asString());
        assertThat(oip.get("parameters").get("mc_samples").asInt()).isEqualTo(100);
        assertThat(oip.get("parameters").get("seed").asLong()).isEqualTo(7);
        assertThat(oip.get("outputs")).hasSize(6);

        JsonNode p = predict.get("predictions").get(0);
        JsonNode mean = output(oip, "probabilities_mean");
        assertThat(mean.get("datatype").asString()).isEqualTo("FP32");
        assertThat(mean.get("shape").toString()).isEqualTo("[1,10]");
        float[] meanData = floats(mean.get("data"));
        float[] stdData = floats(output(oip, "probabilities_std").get("data"));
        for (int c = 0; c < 10; c++) {
            // The same seed gives the same passes; FP32 is the double answer narrowed to float.
            assertThat(meanData[c]).isEqualTo((float) p.get("mean").get(c).asDouble());
            assertThat(stdData[c]).isEqualTo((float) p.get("std").get(c).asDouble());
        }
        assertThat(output(oip, "predictive_entropy").get("shape").toString()).isEqualTo("[1]");
        assertThat(output(oip, "predictive_entropy").get("data").get(0).floatValue())
                .isEqualTo((float) p.get("predictiveEntropy").asDouble());
        assertThat(output(oip, "mutual_information").get("data").get(0).floatValue())
                .isEqualTo((float) p.get("mutualInformation").asDouble());
        assertThat(output(oip, "variation_ratio").get("data").get(0).floatValue())
                .isEqualTo((float) p.get("variationRatio").asDouble());
        JsonNode predicted = output(oip, "predicted_class");
        assertThat(predicted.get("datatype").asString()).isEqualTo("BYTES");
        assertThat(predicted.get("data").get(0).asString()).isEqualTo(p.get("predictedClass").asString()).isEqualTo("0");
    }

    @Test
    void flatAndNestedDataGiveTheSameAnswer() throws Exception {
        String flat = """
                {"parameters": {"mc_samples": 30, "seed": 11},
                 "inputs": [{"name": "input", "shape": [2, 64], "datatype": "FP32", "data": [%s, %s]}]}"""
                .formatted(row(1), row(2));
        String nested = """
                {"parameters": {"mc_samples": 30, "seed": 11},
                 "inputs": [{"name": "input", "shape": [2, 64], "datatype": "FP32", "data": [[%s], [%s]]}]}"""
                .formatted(row(1), row(2));
        HttpResponse<String> a = infer("/v2/models/digits/infer", flat);
        HttpResponse<String> b = infer("/v2/models/digits/infer", nested);
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        assertThat(b.statusCode()).as(b.body()).isEqualTo(200);
        assertThat(output(json(a), "probabilities_mean").get("shape").toString()).isEqualTo("[2,10]");
        assertThat(output(json(a), "probabilities_mean").get("data")).hasSize(20);
        assertThat(json(a).get("outputs")).isEqualTo(json(b).get("outputs"));
        assertThat(json(a).has("id")).isFalse();
        assertThat(output(json(a), "predicted_class").get("data").get(0).asString())
                .isEqualTo(String.valueOf(digitLabel(1)));
    }

    @Test
    void inferWithoutMcSamplesRunsOneDeterministicPassAndReturnsTheDrawnSeed() throws Exception {
        String body = """
                {"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [%s]}]}""".formatted(row(3));
        HttpResponse<String> response = infer("/v2/models/digits/versions/" + activeVersion() + "/infer", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode oip = json(response);
        assertThat(oip.get("parameters").get("mc_samples").asInt()).isZero();
        assertThat(oip.get("parameters").get("seed").isIntegralNumber()).isTrue();
        for (float std : floats(output(oip, "probabilities_std").get("data"))) {
            assertThat(std).isZero();
        }
        assertThat(output(oip, "mutual_information").get("data").get(0).floatValue()).isZero();
        assertThat(oip.get("model_version").asString()).isEqualTo(String.valueOf(activeVersion()));
    }

    @Test
    void requestedOutputsLimitTheResponseInTheOrderAsked() throws Exception {
        String body = """
                {"id": "abc", "parameters": {"mc_samples": 20, "seed": 3},
                 "inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [%s]}],
                 "outputs": [{"name": "predicted_class"}, {"name": "mutual_information"}]}""".formatted(row(4));
        HttpResponse<String> response = infer("/v2/models/digits/infer", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        json(response).get("outputs").forEach(o -> names.add(o.get("name").asString()));
        assertThat(names).containsExactly("predicted_class", "mutual_information");
        assertThat(json(response).get("id").asString()).isEqualTo("abc");
    }

    @Test
    void repeatedOutputsAreAnsweredOnceAndAnEntryWithoutANameIsNamedByItsPlace() throws Exception {
        String ok = "{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"FP32\", \"data\": [" + row(0) + "]}";
        // 20,000 repeats: read and dropped one by one, never kept as records.
        String repeats = String.join(", ", java.util.Collections.nCopies(20_000, "{\"name\": \"predictive_entropy\"}"));
        HttpResponse<String> response = infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [{\"name\": "
                + "\"predicted_class\"}, " + repeats + ", {\"name\": \"predicted_class\"}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        json(response).get("outputs").forEach(o -> names.add(o.get("name").asString()));
        assertThat(names).containsExactly("predicted_class", "predictive_entropy");
        // The first entry that decides the error is named by its place among all entries, repeats included.
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [" + repeats
                + ", {\"parameters\": {}}, {\"name\": \"logits\"}]}"), 400, "outputs[20000] needs a \"name\"");
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [" + repeats
                + ", null]}"), 400, "outputs[20000] needs a \"name\"");
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [" + repeats
                + ", {\"name\": \"logits\"}, null]}"), 400, "unknown output 'logits'");
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [" + repeats
                + ", {\"name\": 7}]}"), 400, "");
    }

    @Test
    void badRequestsGetTheProtocolsErrorObjectWithA4xxStatus() throws Exception {
        String ok = "{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"FP32\", \"data\": [" + row(0) + "]}";
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + "], \"outputs\": [{\"name\": \"logits\"}]}"),
                400, "unknown output 'logits'");
        assertOipError(infer("/v2/models/digits/infer",
                "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 63], \"datatype\": \"FP32\", \"data\": [" + row(0) + "]}]}"),
                400, "takes 64");
        assertOipError(infer("/v2/models/digits/infer",
                "{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 64], \"datatype\": \"FP32\", \"data\": [" + row(0) + "]}]}"),
                400, "but its data has 64");
        assertOipError(infer("/v2/models/digits/infer",
                "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"BYTES\", \"data\": [" + row(0) + "]}]}"),
                400, "FP32");
        assertOipError(infer("/v2/models/digits/infer",
                "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, \"x\"]}]}"),
                400, "takes 64");
        assertOipError(infer("/v2/models/digits/infer",
                "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"FP32\", \"data\": [\"a\"" + ", 1".repeat(63) + "]}]}"),
                400, "data[0] is");
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"mc_samples\": \"100\"}, \"inputs\": [" + ok + "]}"),
                400, "'mc_samples' must be an integer");
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"mc_samples\": 1.5}, \"inputs\": [" + ok + "]}"),
                400, "'mc_samples' must be an integer");
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"mc_samples\": 1001}, \"inputs\": [" + ok + "]}"),
                400, "1000 allowed");
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"seed\": true}, \"inputs\": [" + ok + "]}"),
                400, "'seed' must be an integer");
        // An array or object parameter is named as its text, as a map of Jackson's untyped values prints it.
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"mc_samples\": [1, {\"a\": \"x\", "
                        + "\"b\": [2.5, null, -0]}, true, 12345678901234567890], \"other\": {\"skipped\": [1, 2]}}, "
                        + "\"inputs\": [" + ok + "]}"),
                400, "got [1, {a=x, b=[2.5, null, 0]}, true, 12345678901234567890]");
        assertOipError(infer("/v2/models/digits/infer", "{\"parameters\": {\"seed\": {\"k\": \""
                        + "v".repeat(100) + "\"}}, \"inputs\": [" + ok + "]}"),
                400, "got {k=" + "v".repeat(77) + "...");
        // Parameters the service does not read, of outputs and inputs too, are skipped.
        HttpResponse<String> skipped = infer("/v2/models/digits/infer", "{\"parameters\": {\"note\": [[1], {\"x\": null}]}, "
                + "\"outputs\": [{\"name\": \"probabilities_mean\", \"parameters\": {\"binary_data\": false}}], "
                + "\"inputs\": [" + ok + "]}");
        assertThat(skipped.statusCode()).as(skipped.body()).isEqualTo(200);
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": []}"), 400, "one tensor");
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok + ", " + ok + "]}"), 400, "one input tensor");
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + ok), 400, "not a valid inference request");
        assertOipError(infer("/v2/models/nosuchmodel/infer", "{\"inputs\": [" + ok + "]}"), 404, "nosuchmodel");
        assertOipError(infer("/v2/models/digits/versions/0/infer", "{\"inputs\": [" + ok + "]}"), 400, "positive integer");
        assertOipError(infer("/v2/models/Bad%20Name/infer", "{\"inputs\": [" + ok + "]}"), 400, "");
        assertOipError(send(request("/v2/models/digits/infer").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))), 415, "application/json");
        assertOipError(get("/v2/nothing/here"), 404, "no Open Inference Protocol endpoint");
        // Bodies are bounded as for /predict (max-predict-body is 1 MB in these tests).
        assertOipError(infer("/v2/models/digits/infer", "{\"inputs\": [" + " ".repeat(1_100_000) + "]}"), 413, "allowed");
    }

    @Test
    void inferenceIsCountedInThePredictLatencyMetricsByOutcome() throws Exception {
        double before = successCount();
        String body = "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"FP32\", \"data\": [" + row(5) + "]}]}";
        assertThat(infer("/v2/models/digits/infer", body).statusCode()).isEqualTo(200);
        assertThat(successCount()).isEqualTo(before + 1);
    }

    private double successCount() throws Exception {
        HttpResponse<String> response = management("/actuator/metrics/mcdropout.predict.latency?tag=outcome:success&tag=model:digits");
        if (response.statusCode() == 404) {
            return 0; // no successful prediction yet in this context
        }
        JsonNode metric = json(response);
        for (JsonNode m : metric.get("measurements")) {
            if (m.get("statistic").asString().equals("COUNT")) {
                return m.get("value").asDouble();
            }
        }
        throw new AssertionError(metric.toString());
    }

    private int activeVersion() throws Exception {
        JsonNode models = json(get("/models"));
        for (JsonNode m : models) {
            if (m.get("name").asString().equals("digits")) {
                return m.get("activeVersion").asInt();
            }
        }
        throw new AssertionError(models.toString());
    }
}
