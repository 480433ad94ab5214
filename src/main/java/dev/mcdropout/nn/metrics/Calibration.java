package dev.mcdropout.nn.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Expected calibration error (Naeini et al. 2015; Guo et al. 2017, "On Calibration of Modern Neural Networks"):
 * the rows are grouped by the probability of their predicted class (the confidence) and
 * {@code ECE = sum_b (|B_b| / n) |acc(B_b) - conf(B_b)|}.
 *
 * <p>{@link #equalWidth} uses {@code bins} intervals of equal width, {@code (b/B, (b+1)/B]} as in Guo et al.
 * (a confidence of exactly 0 goes to the first bin); an empty bin contributes nothing and reports no accuracy
 * or confidence. {@link #equalCount} is the adaptive ECE (Nixon et al. 2019, "Measuring Calibration in Deep
 * Learning"): the rows sorted by confidence are cut into {@code bins} groups of sizes that differ by at most
 * one, rows {@code [floor(b n / B), floor((b + 1) n / B))}; ties are kept in input order.
 */
public final class Calibration {

    private Calibration() {
    }

    /** ECE over equal-width bins, and the per-bin table. */
    public static Result equalWidth(double[] confidence, boolean[] correct, int bins) {
        check(confidence, correct, bins);
        int n = confidence.length;
        int[] count = new int[bins];
        double[] hits = new double[bins];
        double[] confSum = new double[bins];
        for (int i = 0; i < n; i++) {
            int b = (int) Math.ceil(confidence[i] * bins) - 1;
            b = Math.max(0, Math.min(bins - 1, b));
            count[b]++;
            hits[b] += correct[i] ? 1 : 0;
            confSum[b] += confidence[i];
        }
        List<CalibrationBin> table = new ArrayList<>(bins);
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            double lower = (double) b / bins;
            double upper = (double) (b + 1) / bins;
            if (count[b] == 0) {
                table.add(new CalibrationBin(lower, upper, 0, null, null));
                continue;
            }
            double acc = hits[b] / count[b];
            double conf = confSum[b] / count[b];
            ece += (double) count[b] / n * Math.abs(acc - conf);
            table.add(new CalibrationBin(lower, upper, count[b], acc, conf));
        }
        return new Result(ece, List.copyOf(table));
    }

    /** Adaptive ECE over equal-count bins; the table's edges are the lowest and highest confidence in each bin. */
    public static Result equalCount(double[] confidence, boolean[] correct, int bins) {
        check(confidence, correct, bins);
        int n = confidence.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(confidence[a], confidence[b]));
        List<CalibrationBin> table = new ArrayList<>(bins);
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            int from = (int) ((long) b * n / bins);
            int to = (int) ((long) (b + 1) * n / bins);
            if (to == from) {
                continue;
            }
            double hits = 0;
            double confSum = 0;
            for (int k = from; k < to; k++) {
                hits += correct[order[k]] ? 1 : 0;
                confSum += confidence[order[k]];
            }
            int size = to - from;
            double acc = hits / size;
            double conf = confSum / size;
            ece += (double) size / n * Math.abs(acc - conf);
            table.add(new CalibrationBin(confidence[order[from]], confidence[order[to - 1]], size, acc, conf));
        }
        return new Result(ece, List.copyOf(table));
    }

    private static void check(double[] confidence, boolean[] correct, int bins) {
        if (confidence.length != correct.length) {
            throw new IllegalArgumentException(confidence.length + " confidences but " + correct.length + " outcomes");
        }
        if (confidence.length == 0) {
            throw new IllegalArgumentException("calibration needs at least one row");
        }
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        }
    }

    /** The error and its table (equal-width: every bin, empty ones with null accuracy and confidence). */
    public record Result(double ece, List<CalibrationBin> bins) {
    }

    /**
     * One bin: its edges, its rows, and (null when empty) the share of them predicted right and their mean
     * confidence.
     */
    public record CalibrationBin(double lower, double upper, int count, Double accuracy, Double confidence) {
    }
}
