package dev.mcdropout.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * POST /models/{name}/versions/{version}/evaluate on the real digits model: every figure of the report is
 * recomputed here, independently, from the answers of POST /predict for the same rows and seed.
 */
class EvaluationApiTest extends ServiceTestSupport {

    static final String[] MEASURES = {"predictiveEntropy", "mutualInformation", "variationRatio", "predictedClassStd",
            "oneMinusMaxProbability"};
    private static final double EPS = 1e-9;

    /** An 8x8 digit turned by 90 degrees: pixel values of a digit, but not a shape the model has seen. */
    static double[] rotated(double[] row) {
        double[] out = new double[64];
        for (int r = 0; r < 8; r++) {
            for (int c = 0; c < 8; c++) {
                out[c * 8 + (7 - r)] = row[r * 8 + c];
            }
        }
        return out;
    }

    static String matrix(double[][] rows) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.length; i++) {
            sb.append(i == 0 ? "[" : ",[");
            for (int j = 0; j < rows[i].length; j++) {
                sb.append(j == 0 ? "" : ",").append(rows[i][j]);
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }

    static String labels(int from, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(digitLabel(from + i)).append('"');
        }
        return sb.append(']').toString();
    }

    static double[][] digits(int from, int n) {
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = digitsRow(from + i);
        }
        return rows;
    }

    HttpResponse<String> postKeyed(String path, String body) throws Exception {
        return send(withKey(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))));
    }

    int activeDigitsVersion() throws Exception {
        for (JsonNode m : json(get("/models"))) {
            if (m.get("name").asString().equals("digits")) {
                return m.get("activeVersion").asInt();
            }
        }
        throw new AssertionError("no digits model");
    }

    @Test
    void reportMatchesFiguresComputedFromPredictAnswersForTheSameRowsAndSeed() throws Exception {
        int version = activeDigitsVersion();
        int from = 1000;
        int n = 200;
        double[][] rows = digits(from, n);
        double[][] ood = new double[60][];
        for (int i = 0; i < ood.length; i++) {
            ood[i] = rotated(digitsRow(1200 + i));
        }
        String body = "{\"dataset\":{\"features\":" + matrix(rows) + ",\"labels\":" + labels(from, n)
                + "},\"outOfDistribution\":{\"features\":" + matrix(ood) + "},\"targetAccuracy\":0.99}";

        HttpResponse<String> response = postKeyed("/models/digits/versions/" + version + "/evaluate?mcSamples=50&seed=7", body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode report = json(response);
        assertThat(report.get("model").get("version").asInt()).isEqualTo(version);
        assertThat(report.get("mcSamples").asInt()).isEqualTo(50);
        assertThat(report.get("seed").asLong()).isEqualTo(7);
        assertThat(report.get("rows").asInt()).isEqualTo(n);
        assertThat(report.get("oodRows").asInt()).isEqualTo(60);

        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = digitLabel(from + i);
        }
        String model = "&model=digits:" + version;
        JsonNode mc = json(postJson("/predict?mcSamples=50&seed=7" + model, "{\"instances\":" + matrix(rows) + "}"));
        JsonNode mcOod = json(postJson("/predict?mcSamples=50&seed=7" + model, "{\"instances\":" + matrix(ood) + "}"));
        JsonNode det = json(postJson("/predict?mcSamples=0" + model, "{\"instances\":" + matrix(rows) + "}"));
        JsonNode detOod = json(postJson("/predict?mcSamples=0" + model, "{\"instances\":" + matrix(ood) + "}"));

        checkPass(report.get("monteCarlo"), Rows.of(mc, y), Rows.of(mcOod, null));
        checkPass(report.get("deterministic"), Rows.of(det, y), Rows.of(detOod, null));

        // a single deterministic pass has no spread between passes: its mutual information ranks nothing
        assertThat(report.get("deterministic").get("measures").get("mutualInformation").get("misclassificationAuroc")
                .asDouble()).isEqualTo(0.5);

        // its plots
        String id = report.get("id").asString();
        assertThat(report.get("plots").get("reliabilityDiagram").asString()).isEqualTo("/evaluations/" + id + "/plots/reliability");
        assertThat(json(get("/evaluations/" + id)).get("monteCarlo").get("ece").asDouble())
                .isEqualTo(report.get("monteCarlo").get("ece").asDouble());
        PlotAssertions.assertPng(http.send(request("/evaluations/" + id + "/plots/reliability").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray()), 800, 500);
        PlotAssertions.assertPng(http.send(request("/evaluations/" + id + "/plots/risk-coverage?width=640&height=480").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray()), 640, 480);
        PlotAssertions.assertSvg(http.send(request("/evaluations/" + id + "/plots/risk-coverage?format=svg").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray()));
    }

    /** Per row, what /predict said. */
    record Rows(double[][] mean, double[][] std, int[] predicted, double[] entropy, double[] mi, double[] vr, int[] y) {

        static Rows of(JsonNode answer, int[] y) {
            JsonNode predictions = answer.get("predictions");
            List<String> classes = new ArrayList<>();
            answer.get("classes").forEach(c -> classes.add(c.asString()));
            int n = predictions.size();
            double[][] mean = new double[n][];
            double[][] std = new double[n][];
            int[] predicted = new int[n];
            double[] entropy = new double[n];
            double[] mi = new double[n];
            double[] vr = new double[n];
            for (int i = 0; i < n; i++) {
                JsonNode p = predictions.get(i);
                mean[i] = doubles(p.get("mean"));
                std[i] = doubles(p.get("std"));
                predicted[i] = classes.indexOf(p.get("predictedClass").asString());
                entropy[i] = p.get("predictiveEntropy").asDouble();
                mi[i] = p.get("mutualInformation").asDouble();
                vr[i] = p.get("variationRatio").asDouble();
            }
            return new Rows(mean, std, predicted, entropy, mi, vr, y);
        }

        double[] measure(String name) {
            int n = predicted.length;
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (name) {
                    case "predictiveEntropy" -> entropy[i];
                    case "mutualInformation" -> mi[i];
                    case "variationRatio" -> vr[i];
                    case "predictedClassStd" -> std[i][predicted[i]];
                    case "oneMinusMaxProbability" -> 1 - mean[i][predicted[i]];
                    default -> throw new IllegalArgumentException(name);
                };
            }
            return v;
        }
    }

    static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }

    private static void checkPass(JsonNode pass, Rows in, Rows out) {
        int n = in.y().length;
        boolean[] right = new boolean[n];
        double acc = 0;
        double nll = 0;
        double brier = 0;
        double[] conf = new double[n];
        for (int i = 0; i < n; i++) {
            right[i] = in.predicted()[i] == in.y()[i];
            acc += right[i] ? 1.0 / n : 0;
            nll += -Math.log(Math.max(1e-12, in.mean()[i][in.y()[i]])) / n;
            for (int k = 0; k < in.mean()[i].length; k++) {
                double d = in.mean()[i][k] - (k == in.y()[i] ? 1 : 0);
                brier += d * d / n;
            }
            conf[i] = in.mean()[i][in.predicted()[i]];
        }
        assertThat(pass.get("accuracy").asDouble()).isCloseTo(acc, within(EPS));
        assertThat(pass.get("nll").asDouble()).isCloseTo(nll, within(EPS));
        assertThat(pass.get("brier").asDouble()).isCloseTo(brier, within(EPS));

        // ECE over 15 bins (lo, hi]: each row's bin found by scanning the edges
        double ece = 0;
        JsonNode bins = pass.get("eceBins");
        assertThat(bins.size()).isEqualTo(15);
        for (int b = 0; b < 15; b++) {
            int count = 0;
            double hits = 0;
            double confSum = 0;
            for (int i = 0; i < n; i++) {
                boolean inBin = b == 0 ? conf[i] <= 1.0 / 15 : conf[i] > b / 15.0 && conf[i] <= (b + 1) / 15.0;
                if (inBin) {
                    count++;
                    hits += right[i] ? 1 : 0;
                    confSum += conf[i];
                }
            }
            assertThat(bins.get(b).get("count").asInt()).as("bin %d", b).isEqualTo(count);
            if (count > 0) {
                ece += Math.abs(hits / count - confSum / count) * count / n;
                assertThat(bins.get(b).get("accuracy").asDouble()).isCloseTo(hits / count, within(EPS));
            } else {
                assertThat(bins.get(b).get("accuracy").isNull()).isTrue();
            }
        }
        assertThat(pass.get("ece").asDouble()).isCloseTo(ece, within(EPS));

        // adaptive ECE: 15 groups of 13 or 14 rows (200 rows), sorted by confidence
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> conf[i]));
        double adaptive = 0;
        for (int b = 0; b < 15; b++) {
            int lo = b * n / 15;
            int hi = (b + 1) * n / 15;
            double hits = 0;
            double confSum = 0;
            for (int k = lo; k < hi; k++) {
                hits += right[order[k]] ? 1 : 0;
                confSum += conf[order[k]];
            }
            adaptive += Math.abs(hits - confSum) / n;
        }
        assertThat(pass.get("adaptiveEce").asDouble()).isCloseTo(adaptive, within(EPS));

        for (String name : MEASURES) {
            JsonNode m = pass.get("measures").get(name);
            double[] u = in.measure(name);
            double[] v = out.measure(name);
            boolean[] wrong = new boolean[n];
            for (int i = 0; i < n; i++) {
                wrong[i] = !right[i];
            }
            assertThat(m.get("misclassificationAuroc").asDouble()).as(name).isCloseTo(pairwiseAuroc(u, wrong), within(EPS));
            double[] all = new double[n + v.length];
            boolean[] isOod = new boolean[all.length];
            System.arraycopy(u, 0, all, 0, n);
            System.arraycopy(v, 0, all, n, v.length);
            Arrays.fill(isOod, n, all.length, true);
            assertThat(m.get("oodAuroc").asDouble()).as(name).isCloseTo(pairwiseAuroc(all, isOod), within(EPS));
            assertThat(m.get("oodAupr").asDouble()).as(name).isCloseTo(averagePrecision(all, isOod), within(EPS));
            assertThat(m.get("fpr95").asDouble()).as(name).isCloseTo(fpr95(all, isOod), within(EPS));
            double[] risk = risks(u, right);
            double aurc = Arrays.stream(risk).sum() / n;
            int errors = 0;
            for (boolean r : right) {
                errors += r ? 0 : 1;
            }
            double oracle = 0;
            for (int k = 1; k <= n; k++) {
                oracle += Math.max(0, k - (n - errors)) / (double) k / n;
            }
            assertThat(m.get("aurc").asDouble()).as(name).isCloseTo(aurc, within(EPS));
            assertThat(m.get("eAurc").asDouble()).as(name).isCloseTo(aurc - oracle, within(EPS));
            assertThat(m.get("riskAt80Coverage").asDouble()).as(name).isCloseTo(risk[159], within(EPS));
            JsonNode curve = m.get("riskCoverage");
            JsonNode last = curve.get(curve.size() - 1);
            assertThat(last.get("coverage").asDouble()).isEqualTo(1.0);
            assertThat(last.get("risk").asDouble()).isCloseTo(1 - acc, within(EPS));
            // the target threshold keeps rows at or below it and reaches 99% accuracy on them
            JsonNode target = m.get("target");
            assertThat(target.get("targetAccuracy").asDouble()).isEqualTo(0.99);
            if (!target.get("threshold").isNull()) {
                double t = target.get("threshold").asDouble();
                int kept = 0;
                int keptRight = 0;
                for (int i = 0; i < n; i++) {
                    if (u[i] <= t) {
                        kept++;
                        keptRight += right[i] ? 1 : 0;
                    }
                }
                assertThat((double) kept / n).isCloseTo(target.get("coverage").asDouble(), within(EPS));
                assertThat((double) keptRight / kept).isGreaterThanOrEqualTo(0.99 - EPS);
            }
        }
    }

    /** P(score of a positive > score of a negative) + 1/2 P(=), over all pairs. */
    static double pairwiseAuroc(double[] s, boolean[] pos) {
        double sum = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (pos[i] && !pos[j]) {
                    sum += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        return sum / pairs;
    }

    /** Mean over positives of the precision among rows scoring at least as high. */
    static double averagePrecision(double[] s, boolean[] pos) {
        double sum = 0;
        int positives = 0;
        for (int i = 0; i < s.length; i++) {
            if (!pos[i]) {
                continue;
            }
            positives++;
            int flagged = 0;
            int tp = 0;
            for (int j = 0; j < s.length; j++) {
                if (s[j] >= s[i]) {
                    flagged++;
                    tp += pos[j] ? 1 : 0;
                }
            }
            sum += (double) tp / flagged;
        }
        return sum / positives;
    }

    /** The lowest FPR among thresholds (flag score >= t) whose TPR is at least 95%: the highest such t. */
    static double fpr95(double[] s, boolean[] pos) {
        double best = 1.0;
        double bestThreshold = Double.NEGATIVE_INFINITY;
        for (double t : s) {
            int tp = 0;
            int p = 0;
            int fp = 0;
            int neg = 0;
            for (int j = 0; j < s.length; j++) {
                if (pos[j]) {
                    p++;
                    tp += s[j] >= t ? 1 : 0;
                } else {
                    neg++;
                    fp += s[j] >= t ? 1 : 0;
                }
            }
            if ((double) tp / p >= 0.95 - 1e-12 && t > bestThreshold) {
                bestThreshold = t;
                best = (double) fp / neg;
            }
        }
        return best;
    }

    /**
     * risk[k-1] for keeping k rows: rows strictly less uncertain than the k-th are all kept, and of the rows
     * tied with it the kept share of their errors is proportional.
     */
    static double[] risks(double[] u, boolean[] right) {
        int n = u.length;
        double[] sorted = u.clone();
        Arrays.sort(sorted);
        double[] risk = new double[n];
        for (int k = 1; k <= n; k++) {
            double t = sorted[k - 1];
            int below = 0;
            int belowErrors = 0;
            int tied = 0;
            int tiedErrors = 0;
            for (int i = 0; i < n; i++) {
                if (u[i] < t) {
                    below++;
                    belowErrors += right[i] ? 0 : 1;
                } else if (u[i] == t) {
                    tied++;
                    tiedErrors += right[i] ? 0 : 1;
                }
            }
            risk[k - 1] = (belowErrors + (double) (k - below) * tiedErrors / tied) / k;
        }
        return risk;
    }
}
