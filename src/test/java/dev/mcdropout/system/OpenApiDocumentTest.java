package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.util.HashMap;
import java.util.Map;
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
                "train", "getTrainingJob", "listTrainingJobs", "cancelTrainingJob",
                "evaluateModelVersion", "getEvaluation", "plotEvaluation", "plotModelVersionEvaluation",
                "startDropoutSweep", "getExperiment", "listExperiments", "cancelExperiment", "plotExperiment",
                "plotTrainingJob");

        for (Map.Entry<String, JsonNode> op : operations.entrySet()) {
            op.getValue().get("responses").properties().forEach(response -> {
                if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                    assertThat(response.getValue().get("content").has("application/problem+json"))
                            .as(op.getKey() + " " + response.getKey()).isTrue();
                }
            });
        }
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
    void swaggerUiIsServed() throws Exception {
        int status = http.send(request("/swagger-ui.html").GET().build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(status).isIn(200, 302);
    }
}
