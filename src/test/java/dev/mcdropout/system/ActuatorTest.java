package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ActuatorTest extends ServiceTestSupport {

    @Test
    void actuatorExposesExactlyHealthInfoMetricsAndPrometheus() throws Exception {
        JsonNode links = json(management("/actuator")).get("_links");
        List<String> names = new ArrayList<>();
        links.propertyNames().forEach(names::add);
        assertThat(names).containsExactlyInAnyOrder("self", "health", "health-path", "info", "metrics",
                "metrics-requiredMetricName", "prometheus");
        for (String hidden : new String[] {"/actuator/env", "/actuator/beans", "/actuator/heapdump", "/actuator/shutdown"}) {
            HttpResponse<String> response = management(hidden);
            assertThat(response.statusCode()).as(hidden).isEqualTo(404);
        }
    }

    /** Probes and metrics have their own port and threads; the application port has no actuator at all. */
    @Test
    void actuatorIsServedOnTheManagementPortOnly() throws Exception {
        assertThat(managementPort).isPositive().isNotEqualTo(port);
        assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(404);
        assertThat(get("/actuator/prometheus").statusCode()).isEqualTo(404);
        assertThat(management("/actuator/health/liveness").statusCode()).isEqualTo(200);
    }

    @Test
    void readinessIncludesTheStoreDiskSpaceIndicator() throws Exception {
        JsonNode disk = json(send(withKey(managementRequest("/actuator/health/readiness")).GET())).get("components").get("storeDiskSpace");
        assertThat(disk.get("status").asString()).isEqualTo("UP");
        assertThat(disk.get("details").get("free").asLong()).isGreaterThanOrEqualTo(disk.get("details").get("threshold").asLong());
    }

    @Test
    void readinessIncludesTheModelsIndicatorAndLivenessDoesNot() throws Exception {
        // details are for holders of the API key (HealthExposureTest checks that others get the status only)
        HttpResponse<String> readiness = send(withKey(managementRequest("/actuator/health/readiness")).GET());
        assertThat(readiness.statusCode()).isEqualTo(200);
        JsonNode models = json(readiness).get("components").get("models");
        assertThat(models.get("status").asString()).isEqualTo("UP");
        assertThat(models.get("details").get("active").get("digits").asInt()).isEqualTo(1);

        HttpResponse<String> liveness = send(withKey(managementRequest("/actuator/health/liveness")).GET());
        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(json(liveness).path("components").has("models")).isFalse();
    }

    @Test
    void infoShowsBuildAndGit() throws Exception {
        JsonNode info = json(management("/actuator/info"));
        assertThat(info.get("build").get("artifact").asString()).isEqualTo("mc-dropout-service");
        assertThat(info.has("git")).isTrue();
    }

    @Test
    void prometheusScrapeCarriesTheServiceMetrics() throws Exception {
        assertThat(postJson("/predict?mcSamples=10&seed=2", digitsBody(0, 3)).statusCode()).isEqualTo(200);
        assertThat(postJson("/predict?mcSamples=-5", digitsBody(0, 1)).statusCode()).isEqualTo(400);
        String scrape = management("/actuator/prometheus").body();
        assertThat(scrape)
                .contains("mcdropout_predict_latency_seconds_count{")
                .containsPattern("mcdropout_predict_latency_seconds_count\\{[^}]*model=\"digits\"[^}]*outcome=\"success\"")
                .containsPattern("mcdropout_predict_latency_seconds_count\\{[^}]*outcome=\"client_error\"")
                .contains("mcdropout_predict_rows_count{")
                .contains("mcdropout_predict_mc_samples_count{")
                .containsPattern("mcdropout_predict_predictive_entropy_nats_count\\{[^}]*model=\"digits\"")
                .containsPattern("mcdropout_predict_mutual_information_nats_count\\{[^}]*model=\"digits\"")
                .containsPattern("mcdropout_model_active_version\\{[^}]*model=\"digits\"[^}]*} 1\\.0");
    }
}
