package dev.mcdropout.nn.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Selective prediction (Geifman and El-Yaniv 2017; Geifman et al. 2019, "Bias-Reduced Uncertainty Estimation
 * for Deep Neural Classifiers"): keep the rows a model is surest about, set the rest aside, and look at the
 * error rate (risk) of what is kept as a function of the share kept (coverage).
 *
 * <p>Rows are ordered by uncertainty, lowest first. Rows with equal uncertainty cannot be told apart by any
 * threshold, so within such a tie the errors are counted at their expected value under a random order: at
 * coverage {@code k/n} the kept errors are those of all lower-uncertainty rows plus {@code (k - before) * e/s}
 * of a tie of {@code s} rows with {@code e} errors. Then
 * <ul>
 *   <li>{@code risk(k)} = kept errors / k, for every k = 1..n;</li>
 *   <li>{@code aurc} = {@code (1/n) sum_k risk(k)}, and {@code eAurc} = aurc minus the aurc of an oracle that
 *       sets every wrong row aside first ({@code risk*(k) = max(0, k - (n - errors)) / k});</li>
 *   <li>{@code riskAt80Coverage} = {@code risk(ceil(0.8 n))};</li>
 *   <li>for a target accuracy, the highest threshold (keep rows with uncertainty at most it) whose kept rows
 *       reach the target, with the coverage it leaves; thresholds are the distinct uncertainty values.</li>
 * </ul>
 * The curve reports one point per distinct threshold, thinned evenly to at most {@code maxPoints} (the last,
 * full-coverage point always kept).
 */
public final class SelectivePrediction {

    private SelectivePrediction() {
    }

    public record RiskCoveragePoint(double coverage, double risk, double threshold) {
    }

    /** {@code threshold}, {@code accuracy} null and coverage 0 when no threshold reaches the target. */
    public record TargetThreshold(double targetAccuracy, Double threshold, double coverage, Double accuracy) {
    }

    public record Result(double aurc, double eAurc, double riskAt80Coverage, List<RiskCoveragePoint> curve, TargetThreshold target) {
    }

    public static Result of(double[] uncertainty, boolean[] correct, Double targetAccuracy, int maxPoints) {
        if (uncertainty.length != correct.length) {
            throw new IllegalArgumentException(uncertainty.length + " uncertainties but " + correct.length + " outcomes");
        }
        int n = uncertainty.length;
        if (n == 0) {
            throw new IllegalArgumentException("selective prediction needs at least one row");
        }
        if (maxPoints < 2) {
            throw new IllegalArgumentException("maxPoints must be >= 2, got " + maxPoints);
        }
        int[] order = Ranking.ascending(uncertainty);
        double[] risk = new double[n + 1]; // risk[k], k = 1..n
        List<Integer> groupEnds = new ArrayList<>();
        List<Double> groupValues = new ArrayList<>();
        long errorsBefore = 0;
        int totalErrors = 0;
        for (int start = 0; start < n; ) {
            int end = start;
            while (end + 1 < n && uncertainty[order[end + 1]] == uncertainty[order[start]]) {
                end++;
            }
            int size = end - start + 1;
            int errors = 0;
            for (int k = start; k <= end; k++) {
                if (!correct[order[k]]) {
                    errors++;
                }
            }
            for (int j = 1; j <= size; j++) {
                int k = start + j;
                risk[k] = (errorsBefore + (double) j * errors / size) / k;
            }
            errorsBefore += errors;
            totalErrors += errors;
            groupEnds.add(end + 1);
            groupValues.add(uncertainty[order[start]]);
            start = end + 1;
        }
        double aurc = 0;
        double oracle = 0;
        for (int k = 1; k <= n; k++) {
            aurc += risk[k];
            oracle += Math.max(0, k - (n - totalErrors)) / (double) k;
        }
        aurc /= n;
        oracle /= n;
        int k80 = (int) Math.ceil(0.8 * n - 1e-9);
        double riskAt80 = risk[Math.max(1, k80)];

        List<RiskCoveragePoint> curve = new ArrayList<>();
        int groups = groupEnds.size();
        int step = Math.max(1, (int) Math.ceil((double) groups / maxPoints));
        for (int g = groups - 1 - ((groups - 1) / step) * step; g < groups; g += step) {
            int k = groupEnds.get(g);
            curve.add(new RiskCoveragePoint((double) k / n, risk[k], groupValues.get(g)));
        }

        TargetThreshold target = null;
        if (targetAccuracy != null) {
            target = new TargetThreshold(targetAccuracy, null, 0.0, null);
            for (int g = groups - 1; g >= 0; g--) {
                int k = groupEnds.get(g);
                double accuracy = 1.0 - risk[k];
                if (accuracy >= targetAccuracy - 1e-12) {
                    target = new TargetThreshold(targetAccuracy, groupValues.get(g), (double) k / n, accuracy);
                    break;
                }
            }
        }
        return new Result(aurc, aurc - oracle, riskAt80, List.copyOf(curve), target);
    }
}
