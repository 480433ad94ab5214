package dev.mcdropout.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** GET /datasets/{name}/rows on the shared real server, checked against the bundled file itself. */
class DatasetsControllerTest extends ServiceTestSupport {

    @Test
    void digitsRowsAreTheBundledRowsWithTheirLabels() throws Exception {
        HttpResponse<String> response = get("/datasets/digits/rows?offset=5&limit=3");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode page = json(response);
        assertThat(page.get("name").asString()).isEqualTo("digits");
        assertThat(page.get("totalRows").asInt()).isEqualTo(1797);
        assertThat(page.get("features").asInt()).isEqualTo(64);
        assertThat(page.get("classes")).hasSize(10);
        assertThat(page.get("offset").asInt()).isEqualTo(5);
        assertThat(page.get("rows")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode row = page.get("rows").get(i);
            assertThat(row.get("index").asInt()).isEqualTo(5 + i);
            assertThat(row.get("label").asString()).isEqualTo(Integer.toString(digitLabel(5 + i)));
            double[] features = new double[row.get("features").size()];
            for (int j = 0; j < features.length; j++) {
                features[j] = row.get("features").get(j).asDouble();
            }
            assertThat(features).containsExactly(digitsRow(5 + i));
        }
    }

    @Test
    void defaultsAreTheFirstTwentyRowsAndTheLastPageIsShort() throws Exception {
        JsonNode first = json(get("/datasets/digits/rows"));
        assertThat(first.get("offset").asInt()).isZero();
        assertThat(first.get("rows")).hasSize(20);
        JsonNode last = json(get("/datasets/digits/rows?offset=1795&limit=100"));
        assertThat(last.get("rows")).hasSize(2);
        assertThat(last.get("rows").get(1).get("index").asInt()).isEqualTo(1796);
    }

    @Test
    void outOfRangeParametersAndUnknownNamesAreProblems() throws Exception {
        assertProblem(get("/datasets/digits/rows?limit=0"), 400, "limit must be between 1 and 100, got 0");
        assertProblem(get("/datasets/digits/rows?limit=101"), 400, "limit must be between 1 and 100, got 101");
        assertProblem(get("/datasets/digits/rows?offset=-1"), 400, "offset must be between 0 and 1796, got -1");
        assertProblem(get("/datasets/digits/rows?offset=1797"), 400, "offset must be between 0 and 1796, got 1797");
        assertProblem(get("/datasets/wine/rows"), 404, "there is no bundled data set 'wine'");
        HttpResponse<String> notANumber = get("/datasets/digits/rows?limit=ten");
        assertThat(notANumber.statusCode()).isEqualTo(400);
        assertThat(notANumber.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).get("detail").asString()).contains(detail);
    }
}
