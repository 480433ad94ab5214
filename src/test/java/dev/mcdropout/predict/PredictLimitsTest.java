package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * Each limit admits a request exactly at it and refuses one just past it, naming the limit. The shared test
 * server runs with smaller limits than the defaults (see {@link ServiceTestSupport}) so this stays fast.
 */
class PredictLimitsTest extends ServiceTestSupport {

    private static final String ROW = digitsRowJson();

    private static String digitsRowJson() {
        String body = digitsBody(0, 1);
        return body.substring("{\"instances\":[".length(), body.length() - 2);
    }

    private static String rows(int n) {
        return "{\"instances\":[" + String.join(",", Collections.nCopies(n, ROW)) + "]}";
    }

    private void assertLimit(HttpResponse<String> response, int status, String limit) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).get("detail").asString()).contains("mcdropout.limits." + limit);
        assertThat(json(response).get("errors").get(0).asString()).isEqualTo("mcdropout.limits." + limit);
    }

    @Test
    void mcSamplesUpToTheLimitAreServed() throws Exception {
        assertThat(postJson("/predict?mcSamples=1000&seed=1", rows(1)).statusCode()).isEqualTo(200);
        assertLimit(postJson("/predict?mcSamples=1001&seed=1", rows(1)), 400, "max-mc-samples");
    }

    @Test
    void rowsUpToTheLimitAreServed() throws Exception {
        HttpResponse<String> atLimit = postJson("/predict", rows(500));
        assertThat(atLimit.statusCode()).isEqualTo(200);
        assertThat(json(atLimit).get("predictions")).hasSize(500);
        assertLimit(postJson("/predict", rows(501)), 400, "max-rows");
    }

    @Test
    void rowsTimesSamplesUpToTheLimitAreServed() throws Exception {
        assertThat(postJson("/predict?mcSamples=1000&seed=1", rows(100)).statusCode()).isEqualTo(200);
        assertLimit(postJson("/predict?mcSamples=1000&seed=1", rows(101)), 400, "max-row-samples");
        assertLimit(postJson("/predict?mcSamples=250&seed=1", rows(401)), 400, "max-row-samples");
    }

    @Test
    void bodiesUpToTheLimitAreReadAndLargerOnesRefusedEvenWhenChunked() throws Exception {
        // 1 MiB limit in tests: pad a small valid body with whitespace up to exactly the limit.
        String small = rows(1);
        String atLimit = small + " ".repeat(1024 * 1024 - small.length());
        assertThat(postJson("/predict", atLimit).statusCode()).isEqualTo(200);
        assertLimit(postJson("/predict", atLimit + " "), 413, "max-predict-body");
        HttpResponse<String> chunked = send(request("/predict").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream((atLimit + "  ").getBytes()))));
        assertLimit(chunked, 413, "max-predict-body");
    }
}
