package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PredictControllerTest extends ServiceTestSupport {

    @Test
    void predictAnswersInTheDocumentedShape() throws Exception {
        HttpResponse<String> response = postJson("/predict?mcSamples=100&seed=7&model=digits", digitsBody(0, 3));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("model").get("name").asString()).isEqualTo("digits");
        assertThat(body.get("model").get("version").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(body.get("mcSamples").asInt()).isEqualTo(100);
        assertThat(body.get("seed").asLong()).isEqualTo(7);
        assertThat(body.get("classes")).hasSize(10);
        assertThat(body.get("classes").get(3).asString()).isEqualTo("3");
        JsonNode predictions = body.get("predictions");
        assertThat(predictions).hasSize(3);
        for (JsonNode p : predictions) {
            assertThat(p.get("mean")).hasSize(10);
            assertThat(p.get("std")).hasSize(10);
            double sum = 0;
            for (JsonNode m : p.get("mean")) {
                sum += m.asDouble();
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(p.get("predictiveEntropy").asDouble()).isBetween(0.0, Math.log(10) + 1e-6);
            assertThat(p.get("mutualInformation").asDouble()).isBetween(-1e-6, p.get("predictiveEntropy").asDouble() + 1e-6);
            assertThat(p.get("variationRatio").asDouble()).isBetween(0.0, 1.0);
            assertThat(p.has("scoresMean")).isFalse();
        }
    }

    @Test
    void predictedClassesMatchTheDigitsLabelsForMostRows() throws Exception {
        int rows = 200;
        JsonNode body = json(postJson("/predict?mcSamples=50&seed=1", digitsBody(0, rows)));
        int correct = 0;
        for (int i = 0; i < rows; i++) {
            if (body.get("predictions").get(i).get("predictedClass").asString().equals(Integer.toString(digitLabel(i)))) {
                correct++;
            }
        }
        assertThat(correct).as("correct of %d", rows).isGreaterThan(rows * 95 / 100);
    }

    @Test
    void predictWithSameSeedIsReproducible() throws Exception {
        String first = postJson("/predict?mcSamples=30&seed=123456789", digitsBody(10, 4)).body();
        String second = postJson("/predict?mcSamples=30&seed=123456789", digitsBody(10, 4)).body();
        String other = postJson("/predict?mcSamples=30&seed=987654321", digitsBody(10, 4)).body();
        assertThat(second).isEqualTo(first);
        assertThat(json(postJson("/predict?mcSamples=30&seed=987654321", digitsBody(10, 4))).get("predictions"))
                .isEqualTo(JSON.readTree(other).get("predictions"));
        assertThat(JSON.readTree(other).get("predictions")).isNotEqualTo(JSON.readTree(first).get("predictions"));
    }

    @Test
    void predictWithoutSeedDrawsOneThatReproducesTheAnswer() throws Exception {
        JsonNode drawn = json(postJson("/predict?mcSamples=20", digitsBody(5, 2)));
        long seed = drawn.get("seed").asLong();
        JsonNode again = json(postJson("/predict?mcSamples=20&seed=" + seed, digitsBody(5, 2)));
        assertThat(again.get("predictions")).isEqualTo(drawn.get("predictions"));
    }

    @Test
    void predictWithoutMcSamplesIsOneDeterministicPass() throws Exception {
        for (String query : new String[] {"", "?mcSamples=0"}) {
            JsonNode body = json(postJson("/predict" + query, digitsBody(0, 2)));
            assertThat(body.get("mcSamples").asInt()).isZero();
            for (JsonNode p : body.get("predictions")) {
                for (JsonNode s : p.get("std")) {
                    assertThat(s.asDouble()).isZero();
                }
                assertThat(p.get("mutualInformation").asDouble()).isCloseTo(0.0, within(1e-9));
                assertThat(p.get("variationRatio").asDouble()).isZero();
            }
        }
    }

    @Test
    void includeScoresAddsRawScoreStatistics() throws Exception {
        JsonNode p = json(postJson("/predict?mcSamples=10&seed=3&include=scores", digitsBody(0, 1))).get("predictions").get(0);
        assertThat(p.get("scoresMean")).hasSize(10);
        assertThat(p.get("scoresStd")).hasSize(10);
    }

    @Test
    void predictAcceptsAnExplicitVersionAndAnySeed() throws Exception {
        int version = json(get("/models/digits/versions/1")).get("version").asInt();
        HttpResponse<String> response = postJson("/predict?mcSamples=5&seed=-9223372036854775808&model=digits:" + version,
                digitsBody(0, 1));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response).get("seed").asLong()).isEqualTo(Long.MIN_VALUE);
        assertThat(json(response).get("model").get("version").asInt()).isEqualTo(version);
    }
}
