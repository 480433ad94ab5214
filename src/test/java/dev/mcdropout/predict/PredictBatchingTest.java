package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Batching over HTTP (issue 12), on the real server and the digits model it trained: 1,000 random predictions
 * from 16 concurrent clients (1 to 4 rows, two mcSamples, with and without scores, a seed sent or drawn) are
 * batched, and each answer agrees to the engine's bound (docs/api.md, "Reproducibility") with the answer of the
 * same request sent again on its own, when nothing can batch with it.
 */
class PredictBatchingTest extends ServiceTestSupport {

    /** docs/api.md, "Reproducibility". */
    private static final double BOUND = 1e-5;

    private static final int REQUESTS = 1000;
    private static final int CLIENTS = 16;

    private record Sent(String query, String body, boolean scores, JsonNode answer) {
    }

    @Test
    void aThousandRandomPredictionsFromSixteenClientsAreBatchedAndAgreeWithTheirAnswersAlone() throws Exception {
        double[] before = batchMeter();
        List<Sent> sent = concurrently();
        double[] during = batchMeter();
        double calls = during[0] - before[0];
        double requests = during[1] - before[1];
        System.out.printf("PredictBatchingTest: %d predictions in %.0f engine calls (%.2f per call)%n", REQUESTS,
                calls, requests / calls);
        assertThat(requests).as("every prediction went through the batcher").isEqualTo(REQUESTS);
        assertThat(calls).as("engine calls: some batches held more than one prediction").isLessThan(requests);

        double worst = 0;
        int rows = 0;
        for (Sent s : sent) {
            // Sent alone: one client, nothing to batch with. The drawn seed is sent back.
            long seed = s.answer().get("seed").asLong();
            String query = s.query().contains("seed=") ? s.query() : s.query() + "&seed=" + seed;
            HttpResponse<String> alone = postJson("/predict?" + query, s.body());
            assertThat(alone.statusCode()).as(alone.body()).isEqualTo(200);
            JsonNode expected = json(alone);
            assertThat(expected.get("seed").asLong()).isEqualTo(seed);
            JsonNode a = s.answer().get("predictions");
            JsonNode e = expected.get("predictions");
            assertThat(a).hasSameSizeAs(e);
            for (int r = 0; r < e.size(); r++) {
                worst = Math.max(worst, assertAgree(e.get(r), a.get(r), s.scores(), query + " row " + r));
                rows++;
            }
        }
        double[] after = batchMeter();
        assertThat(after[1] - during[1]).as("predictions sent again").isEqualTo(REQUESTS);
        assertThat(after[0] - during[0]).as("each sent alone ran alone").isEqualTo(REQUESTS);
        System.out.printf("PredictBatchingTest: %d rows compared, worst difference batched against alone %.3g%n",
                rows, worst);
    }

    private List<Sent> concurrently() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<List<Sent>>> running = new ArrayList<>();
        try {
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                running.add(clients.submit(() -> {
                    Random random = new Random(1000 + client);
                    List<Sent> mine = new ArrayList<>();
                    for (int i = client; i < REQUESTS; i += CLIENTS) {
                        int n = 1 + random.nextInt(4);
                        StringBuilder body = new StringBuilder("{\"instances\":[");
                        for (int r = 0; r < n; r++) {
                            double[] row = digitsRow(random.nextInt(1797));
                            body.append(r == 0 ? "[" : ",[");
                            for (int j = 0; j < row.length; j++) {
                                body.append(j == 0 ? "" : ",").append((int) row[j]);
                            }
                            body.append(']');
                        }
                        body.append("]}");
                        boolean scores = random.nextInt(4) == 0;
                        String query = "mcSamples=" + (random.nextBoolean() ? 20 : 50) + (scores ? "&include=scores" : "")
                                + (random.nextBoolean() ? "&seed=" + random.nextLong() : "");
                        HttpResponse<String> r = postJson("/predict?" + query, body.toString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        mine.add(new Sent(query, body.toString(), scores, json(r)));
                    }
                    return mine;
                }));
            }
            List<Sent> all = new ArrayList<>();
            for (Future<List<Sent>> f : running) {
                all.addAll(f.get(10, TimeUnit.MINUTES));
            }
            assertThat(all).hasSize(REQUESTS);
            return all;
        } finally {
            clients.shutdownNow();
        }
    }

    private static double assertAgree(JsonNode expected, JsonNode actual, boolean scores, String what) {
        double worst = 0;
        assertThat(actual.get("predictedClass")).as(what).isEqualTo(expected.get("predictedClass"));
        List<String> fields = new ArrayList<>(List.of("mean", "std"));
        if (scores) {
            fields.addAll(List.of("scoresMean", "scoresStd"));
        }
        for (String field : fields) {
            assertThat(actual.get(field)).as("%s %s", what, field).hasSameSizeAs(expected.get(field));
            for (int c = 0; c < expected.get(field).size(); c++) {
                double e = expected.get(field).get(c).asDouble();
                double a = actual.get(field).get(c).asDouble();
                double bound = field.startsWith("scores") ? BOUND * Math.max(1, Math.abs(e)) : BOUND;
                worst = Math.max(worst, Math.abs(e - a) / (bound / BOUND));
                assertThat(a).as("%s %s[%d]", what, field, c).isCloseTo(e, within(bound));
            }
        }
        if (!scores) {
            assertThat(actual.has("scoresMean")).isFalse();
        }
        for (String field : new String[] {"predictiveEntropy", "mutualInformation", "variationRatio"}) {
            double e = expected.get(field).asDouble();
            double a = actual.get(field).asDouble();
            worst = Math.max(worst, Math.abs(e - a));
            assertThat(a).as("%s %s", what, field).isCloseTo(e, within(BOUND));
        }
        return worst;
    }

    /** {@code mcdropout_predict_batch_size} count (engine calls) and sum (predictions), as Prometheus scrapes them. */
    private double[] batchMeter() throws Exception {
        HttpResponse<String> scrape = management("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("mcdropout_predict_queue_time_seconds_count");
        return new double[] {sample(scrape.body(), "mcdropout_predict_batch_size_count"),
                sample(scrape.body(), "mcdropout_predict_batch_size_sum")};
    }

    private static double sample(String exposition, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(exposition);
        assertThat(m.find()).as("%s in /actuator/prometheus", name).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
