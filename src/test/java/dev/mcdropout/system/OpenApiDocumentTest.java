package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OpenApiDocumentTest extends ServiceTestSupport {

    @Test
    void documentNamesEveryOperationByHandAndDocumentsErrorsAsProblems() throws Exception {
        JsonNode doc = json(get("/v3/api-docs"));
        assertThat(doc.get("openapi").asString()).startsWith("3.0");
        assertThat(doc.get("info").get("title").asString()).isEqualTo("MC Dropout Service");
        assertThat(doc.get("info").get("description").asString()).contains("Monte Carlo dropout");

        Map<String, JsonNode> operations = new HashMap<>();
        doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op ->
                operations.put(op.getValue().get("operationId").asString(), op.getValue())));
        assertThat(operations).containsOnlyKeys("predict", "listModels", "getModelVersion", "activateModelVersion",
                "deleteModelVersion", "downloadArtifact", "importModel",
                "train", "trainFromCsv", "getTrainingJob", "listTrainingJobs", "cancelTrainingJob", "getDatasetRows",
                "oipServerMetadata", "oipServerLive", "oipServerReady", "oipModelMetadata", "oipModelVersionMetadata",
                "oipModelReady", "oipModelVersionReady", "oipInfer", "oipInferVersion",
                "evaluateModelVersion", "getEvaluation", "plotEvaluation", "plotModelVersionEvaluation",
                "startDropoutSweep", "getExperiment", "listExperiments", "cancelExperiment", "plotExperiment",
                "plotTrainingJob");

        for (Map.Entry<String, JsonNode> op : operations.entrySet()) {
            // The Open Inference Protocol's endpoints answer errors with its own {"error": "..."} object.
            boolean oip = op.getKey().startsWith("oip");
            op.getValue().get("responses").properties().forEach(response -> {
                if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                    if (oip) {
                        if (!response.getKey().equals("503") || op.getKey().startsWith("oipInfer")) {
                            assertThat(response.getValue().get("content").get("application/json").get("schema")
                                    .get("$ref").asString()).as(op.getKey() + " " + response.getKey()).endsWith("OipError");
                        }
                    } else {
                        assertThat(response.getValue().get("content").has("application/problem+json"))
                                .as(op.getKey() + " " + response.getKey()).isTrue();
                    }
                }
            });
        }
        assertThat(operations.get("oipInfer").get("requestBody").get("content").get("application/json").get("schema")
                .get("$ref").asString()).endsWith("OipInferenceRequest");
        JsonNode predict = operations.get("predict");
        assertThat(predict.get("responses").has("422")).isTrue();
        assertThat(predict.get("requestBody").get("content").get("application/json").get("schema").get("$ref").asString())
                .endsWith("PredictRequest");
        assertThat(operations.get("importModel").get("requestBody").get("content").has("application/zip")).isTrue();
        assertThat(operations.get("importModel").has("security")).isTrue();

        JsonNode schemas = doc.get("components").get("schemas");
        assertThat(schemas.has("Problem")).isTrue();
        assertThat(schemas.get("PredictResponse").get("properties").has("predictions")).isTrue();
        assertThat(schemas.get("Prediction").get("properties").get("mean").get("type").asString()).isEqualTo("array");
        assertThat(doc.get("components").get("securitySchemes").get("apiKey").get("name").asString()).isEqualTo("X-API-Key");
    }

    @Test
    void liveDocumentValidatesWithSwaggerParserWithoutErrorsOrWarnings() throws Exception {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(get("/v3/api-docs").body(), null, options);

        assertThat(parsed.getMessages()).as("swagger-parser errors and warnings").isEmpty();
        assertThat(parsed.getOpenAPI().getPaths()).containsKeys("/predict", "/models", "/train", "/train/csv");
        assertThat(parsed.getOpenAPI().getInfo().getContact()).isNotNull();
    }

    /** Drift: an operation the service serves but docs/api.md's endpoint table does not list. */
    @Test
    void everyOperationOfTheLiveDocumentIsInTheEndpointTableOfApiMd() throws Exception {
        JsonNode doc = json(get("/v3/api-docs"));
        String apiMd = Files.readString(Path.of("docs", "api.md"), StandardCharsets.UTF_8);

        assertThat(missingOperations(doc, apiMd)).as("operations missing from the endpoint table of docs/api.md").isEmpty();
        String withoutRow = apiMd.replaceAll("(?m)^\\| `POST /train/csv` \\|.*\\n", "");
        assertThat(missingOperations(doc, withoutRow)).containsExactly("| `POST /train/csv` | `trainFromCsv` |");
    }

    static List<String> missingOperations(JsonNode doc, String apiMd) {
        List<String> missing = new ArrayList<>();
        doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            String row = "| `" + op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey() + "` | `"
                    + op.getValue().get("operationId").asString() + "` |";
            if (!apiMd.contains(row)) {
                missing.add(row);
            }
        }));
        return missing;
    }

    @Test
    void swaggerUiIsServed() throws Exception {
        int status = http.send(request("/swagger-ui.html").GET().build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(status).isIn(200, 302);
    }
}
