package dev.mcdropout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

/**
 * The Grafana dashboard and the Prometheus alert rules under deploy/ name only metrics that the service really
 * exports: every PromQL expression is reduced to its metric names, and each must appear in a live scrape of
 * /actuator/prometheus (after a prediction, so the per-model meters exist).
 */
class DeployMetricsTest extends ServiceTestSupport {

    private static final Path DASHBOARD = Path.of("deploy/grafana/dashboards/mc-dropout-service.json");
    private static final Path RULES = Path.of("deploy/prometheus/rules.yml");
    /** Series Prometheus itself makes, not the service. */
    private static final Set<String> SYNTHETIC = Set.of("up");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @Test
    void everyMetricTheDashboardQueriesIsExportedByTheService() throws Exception {
        Set<String> exported = liveScrape();
        JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD));
        List<String> expressions = new ArrayList<>();
        collectExpressions(dashboard, expressions);
        assertThat(expressions).hasSizeGreaterThan(15);
        Set<String> used = new TreeSet<>();
        for (String expr : expressions) {
            Set<String> names = metricNames(expr);
            assertThat(names).as("metrics in " + expr).isNotEmpty();
            used.addAll(names);
        }
        assertThat(used).as("dashboard metrics missing from /actuator/prometheus").isSubsetOf(exported);
        // What the issue asks the dashboard to show, by metric.
        assertThat(used).contains("mcdropout_predict_latency_seconds_count", "mcdropout_predict_latency_seconds_bucket",
                "mcdropout_predict_rows_sum", "mcdropout_predict_mc_samples_sum",
                "mcdropout_predict_predictive_entropy_nats_bucket", "mcdropout_predict_mutual_information_nats_bucket",
                "mcdropout_model_active_version", "mcdropout_training_jobs_active", "jvm_memory_used_bytes",
                "mcdropout_process_memory_resident_bytes");
    }

    @Test
    void everyMetricTheAlertRulesUseIsExportedByTheService() throws Exception {
        Set<String> exported = liveScrape();
        Map<String, Object> rules = new Yaml().load(Files.readString(RULES));
        Set<String> alerts = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        for (Object group : (List<?>) rules.get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                Map<?, ?> r = (Map<?, ?>) rule;
                alerts.add((String) r.get("alert"));
                used.addAll(metricNames((String) r.get("expr")));
            }
        }
        assertThat(alerts).contains("McDropoutUncertaintyDrift", "McDropoutPredictLatencyHigh", "McDropoutNotReady");
        used.removeAll(SYNTHETIC);
        assertThat(used).isNotEmpty().as("rule metrics missing from /actuator/prometheus").isSubsetOf(exported);
    }

    @Test
    void prometheusScrapesTheActuatorPathEverywhere() throws Exception {
        assertThat(Files.readString(Path.of("deploy/prometheus/prometheus.yml"))).contains("metrics_path: /actuator/prometheus")
                .contains("mc-dropout-service:8081");
        assertThat(Files.readString(Path.of("deploy/kubernetes/base/deployment.yaml")))
                .contains("prometheus.io/path: /actuator/prometheus").contains("prometheus.io/port: \"8081\"");
    }

    @Test
    void metricNamesAreReadOutOfPromQl() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (le, model) (rate(a_bucket{outcome=\"x{y}\"}[$__rate_interval])))"))
                .containsExactly("a_bucket");
        assertThat(metricNames("1 - sum(rate(b_bucket{le=\"0.3\"}[1h])) by (model) / ignoring (outcome) group_left sum(c_count) > 1e-3"))
                .containsExactly("b_bucket", "c_count");
        assertThat(metricNames("up{job=\"x\"} == 0 or d == 0")).containsExactly("d", "up");
    }

    /** Metric names in a PromQL expression: identifiers outside label matchers, ranges and grouping clauses that are not functions or keywords. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\$\\w+", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String token = m.group();
            int before = m.start() - 1;
            if (before >= 0 && (Character.isDigit(s.charAt(before)) || s.charAt(before) == '.')) {
                continue; // the exponent of a number such as 1e-3
            }
            int after = m.end();
            while (after < s.length() && s.charAt(after) == ' ') {
                after++;
            }
            boolean function = after < s.length() && s.charAt(after) == '(';
            if (!function && !KEYWORDS.contains(token)) {
                names.add(token);
            }
        }
        return names;
    }

    private static void collectExpressions(JsonNode node, List<String> out) {
        if (node.isObject()) {
            if (node.has("expr")) {
                out.add(node.get("expr").asString());
            }
            node.properties().forEach(e -> collectExpressions(e.getValue(), out));
        } else if (node.isArray()) {
            node.forEach(child -> collectExpressions(child, out));
        }
    }

    private Set<String> liveScrape() throws Exception {
        assertThat(postJson("/predict?mcSamples=10&seed=1", digitsBody(0, 2)).statusCode()).isEqualTo(200);
        HttpResponse<String> scrape = management("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        for (String line : scrape.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
