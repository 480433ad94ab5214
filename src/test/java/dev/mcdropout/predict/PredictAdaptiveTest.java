package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code mcSamples=auto} over HTTP on the default digits model: each row is sampled until the standard error of
 * its mean probabilities is below {@code tolerance} (or {@code maxSamples}), says how many passes it took, gets
 * the answer it would get alone and the fixed answer of that many passes, and bad settings are 400 problems that
 * name the parameter.
 */
class PredictAdaptiveTest extends ServiceTestSupport {

    /** docs/api.md, "Reproducibility": the bound for a float32 model, on probabilities and nats. */
    private static final double BOUND = PredictReproducibilityTest.BOUND;

    /** Row 1,119 of digits, a 3 that the model reads as an 8: its passes disagree. */
    private static final int HARD_ROW = 1119;

    @Test
    void autoStopsEachRowWithinItsBoundsBelowToleranceAndSaysHowManyPassesItTook() throws Exception {
        HttpResponse<String> response = postJson("/predict?mcSamples=auto&seed=7&tolerance=0.01&minSamples=20"
                + "&maxSamples=640", body(rowsAround(HARD_ROW, 30)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = json(response);
        assertThat(answer.get("adaptive").get("tolerance").asDouble()).isEqualTo(0.01);
        assertThat(answer.get("adaptive").get("minSamples").asInt()).isEqualTo(20);
        assertThat(answer.get("adaptive").get("maxSamples").asInt()).isEqualTo(640);
        TreeSet<Integer> used = new TreeSet<>();
        for (JsonNode p : answer.get("predictions")) {
            int n = p.get("samplesUsed").asInt();
            double se = p.get("standardError").asDouble();
            assertThat(List.of(20, 40, 80, 160, 320, 640)).as("stops at a check").contains(n);
            assertThat(se < 0.01 || n == 640).as("SE %s after %d passes", se, n).isTrue();
            double worstStd = 0;
            for (JsonNode s : p.get("std")) {
                worstStd = Math.max(worstStd, s.asDouble());
            }
            assertThat(se).isCloseTo(worstStd / Math.sqrt(n - 1), within(1e-12));
            used.add(n);
        }
        assertThat(answer.get("mcSamples").asInt()).as("the most passes a row took").isEqualTo(used.last());
        assertThat(used.first()).as("clear digits stop at the first check").isEqualTo(20);
        assertThat(used.last()).as("the hard row needs more").isGreaterThan(20);
    }

    @Test
    void stoppingOneCheckEarlierWouldNotHaveMetTheTolerance() throws Exception {
        // The first n passes of a seed are the same in auto and fixed runs, so a fixed run of half the passes
        // shows the standard error the row had at its previous check.
        List<double[]> rows = rowsAround(HARD_ROW, 30);
        JsonNode auto = json(postJson("/predict?mcSamples=auto&seed=3&tolerance=0.005&minSamples=25&maxSamples=1000",
                body(rows))).get("predictions");
        int checked = 0;
        for (int r = 0; r < rows.size(); r++) {
            int n = auto.get(r).get("samplesUsed").asInt();
            if (n == 25) {
                continue;
            }
            JsonNode earlier = json(postJson("/predict?mcSamples=" + (n / 2) + "&seed=3", body(List.of(rows.get(r)))))
                    .get("predictions").get(0);
            double worstStd = 0;
            for (JsonNode s : earlier.get("std")) {
                worstStd = Math.max(worstStd, s.asDouble());
            }
            assertThat(worstStd / Math.sqrt(n / 2 - 1)).as("row %d's standard error after %d passes", r, n / 2)
                    .isGreaterThanOrEqualTo(0.005);
            checked++;
        }
        assertThat(checked).as("rows that went past the first check").isGreaterThan(0);
    }

    @Test
    void aRowGetsTheSameAnswerAloneAndAmongOthersAndTheFixedAnswerOfItsOwnCount() throws Exception {
        String auto = "/predict?mcSamples=auto&seed=5&include=scores";
        List<double[]> rows = rowsAround(HARD_ROW, 12);
        JsonNode together = json(postJson(auto, body(rows))).get("predictions");
        for (int r : new int[] {0, 5, 6, 11}) {
            JsonNode alone = json(postJson(auto, body(List.of(rows.get(r))))).get("predictions").get(0);
            JsonNode among = together.get(r);
            assertThat(among.get("samplesUsed")).as("row %d stops at the same check", r).isEqualTo(alone.get("samplesUsed"));
            assertClose(alone, among, "row " + r + " alone and among others");
            JsonNode fixed = json(postJson("/predict?seed=5&include=scores&mcSamples=" + alone.get("samplesUsed").asInt(),
                    body(List.of(rows.get(r))))).get("predictions").get(0);
            assertClose(fixed, alone, "row " + r + " against mcSamples=samplesUsed");
            assertThat(fixed.has("samplesUsed")).isFalse();
        }
    }

    @Test
    void theSameSeedGivesTheSameAnswerByteForByte() throws Exception {
        String body = body(rowsAround(HARD_ROW, 20));
        HttpResponse<String> first = postJson("/predict?mcSamples=auto&seed=11", body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(postJson("/predict?mcSamples=auto&seed=11", body).body()).isEqualTo(first.body());
        assertThat(postJson("/predict?mcSamples=auto&seed=12", body).body()).isNotEqualTo(first.body());
    }

    @Test
    void theDefaultsAreDocumentedAndAToleranceAloneAlsoAsksForAuto() throws Exception {
        JsonNode defaults = json(postJson("/predict?mcSamples=auto&seed=1", digitsBody(0, 2)));
        assertThat(defaults.get("adaptive").toString()).isEqualTo("{\"tolerance\":0.01,\"minSamples\":50,\"maxSamples\":800}");
        JsonNode typed = json(postJson("/predict?seed=1&tolerance=0.01", digitsBody(0, 2)));
        assertThat(typed.get("predictions")).isEqualTo(defaults.get("predictions"));
        // A bound given alone moves the other default out of its way.
        assertThat(json(postJson("/predict?mcSamples=auto&seed=1&maxSamples=10", digitsBody(0, 1))).get("adaptive")
                .get("minSamples").asInt()).isEqualTo(10);
        assertThat(json(postJson("/predict?mcSamples=auto&seed=1&minSamples=900", digitsBody(0, 1))).get("adaptive")
                .get("maxSamples").asInt()).isEqualTo(900);
    }

    @Test
    void fixedAnswersHaveNoneOfTheAdaptiveFields() throws Exception {
        JsonNode fixed = json(postJson("/predict?mcSamples=20&seed=1", digitsBody(0, 1)));
        assertThat(fixed.has("adaptive")).isFalse();
        assertThat(fixed.get("predictions").get(0).has("samplesUsed")).isFalse();
        assertThat(fixed.get("predictions").get(0).has("standardError")).isFalse();
        assertThat(json(postJson("/predict?mcSamples=%2020%20&seed=1", digitsBody(0, 1)))).isEqualTo(fixed);
    }

    @Test
    void rowsAreBudgetedByMaxSamples() throws Exception {
        // Tests run with max-row-samples 100,000: 125 rows x 800 passes fit, 126 do not; 250 x 400 fit.
        assertThat(postJson("/predict?mcSamples=auto&seed=1", digitsBody(0, 125)).statusCode()).isEqualTo(200);
        HttpResponse<String> over = postJson("/predict?mcSamples=auto&seed=1", digitsBody(0, 126));
        assertThat(over.statusCode()).isEqualTo(400);
        assertThat(json(over).get("detail").asString()).contains("maxSamples").contains("mcdropout.limits.max-row-samples");
        assertThat(postJson("/predict?mcSamples=auto&seed=1&maxSamples=400", digitsBody(0, 250)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void badSettingsAreProblemsThatNameTheParameter() throws Exception {
        String[][] cases = {
                {"mcSamples=automatic", "mcSamples", "must be an integer or auto"},
                {"mcSamples=auto&tolerance=0", "tolerance", "0.0001"},
                {"mcSamples=auto&tolerance=0.9", "tolerance", "0.5"},
                {"mcSamples=auto&tolerance=NaN", "tolerance", "NaN"},
                {"mcSamples=auto&tolerance=Infinity", "tolerance", "Infinity"},
                {"mcSamples=auto&tolerance=lots", "tolerance", "must be a number"},
                {"mcSamples=auto&minSamples=1", "minSamples", "from 2"},
                {"mcSamples=auto&minSamples=2000", "minSamples", "1000"},
                {"mcSamples=auto&maxSamples=1", "maxSamples", "from 2"},
                {"mcSamples=auto&maxSamples=1001", "mcdropout.limits.max-mc-samples", "1000 allowed"},
                {"mcSamples=auto&minSamples=50&maxSamples=40", "minSamples", "must not exceed 'maxSamples'"},
                {"mcSamples=auto&minSamples=2.5", "minSamples", "must be an integer"},
                {"mcSamples=100&tolerance=0.01", "tolerance", "only with mcSamples=auto"},
                {"mcSamples=0&maxSamples=50", "maxSamples", "only with mcSamples=auto"},
        };
        for (String[] c : cases) {
            HttpResponse<String> response = postJson("/predict?seed=1&" + c[0], digitsBody(0, 1));
            assertThat(response.statusCode()).as(c[0] + ": " + response.body()).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            JsonNode problem = json(response);
            assertThat(problem.get("errors").get(0).asString()).as(c[0]).isEqualTo(c[1]);
            assertThat(problem.get("detail").asString()).as(c[0]).contains(c[2]);
        }
    }

    private static void assertClose(JsonNode expected, JsonNode actual, String what) {
        assertThat(actual.get("predictedClass")).as(what).isEqualTo(expected.get("predictedClass"));
        for (String field : new String[] {"mean", "std"}) {
            for (int c = 0; c < expected.get(field).size(); c++) {
                assertThat(actual.get(field).get(c).asDouble()).as("%s: %s[%d]", what, field, c)
                        .isCloseTo(expected.get(field).get(c).asDouble(), within(BOUND));
            }
        }
        for (int c = 0; c < expected.get("scoresMean").size(); c++) {
            double scale = Math.max(1.0, Math.abs(expected.get("scoresMean").get(c).asDouble()));
            assertThat(actual.get("scoresMean").get(c).asDouble()).as("%s: scoresMean[%d]", what, c)
                    .isCloseTo(expected.get("scoresMean").get(c).asDouble(), within(BOUND * scale));
        }
        for (String field : new String[] {"predictiveEntropy", "mutualInformation", "variationRatio"}) {
            assertThat(actual.get(field).asDouble()).as("%s: %s", what, field)
                    .isCloseTo(expected.get(field).asDouble(), within(BOUND));
        }
    }

    /** {@code n} digits rows from {@code center - n / 2}, the hard row among them. */
    private static List<double[]> rowsAround(int center, int n) {
        List<double[]> rows = new ArrayList<>();
        for (int i = center - n / 2; i < center - n / 2 + n; i++) {
            rows.add(digitsRow(i));
        }
        return rows;
    }

    private static String body(List<double[]> rows) {
        StringBuilder sb = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < rows.size(); i++) {
            sb.append(i == 0 ? "[" : ",[");
            double[] row = rows.get(i);
            for (int j = 0; j < row.length; j++) {
                sb.append(j == 0 ? "" : ",").append((int) row[j]);
            }
            sb.append(']');
        }
        return sb.append("]}").toString();
    }
}
