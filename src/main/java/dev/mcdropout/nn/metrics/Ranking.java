package dev.mcdropout.nn.metrics;

import java.util.Arrays;

/**
 * How well a score separates positives from negatives (positives should score higher), with tied scores
 * treated as one threshold everywhere:
 * <ul>
 *   <li>{@link #auroc}: the probability that a random positive scores above a random negative, ties counted
 *       as one half (the Mann-Whitney U statistic over {@code n+ n-}; Hanley and McNeil 1982), from mid-ranks;</li>
 *   <li>{@link #averagePrecision}: the area under the precision-recall curve as the step sum
 *       {@code sum_t (R_t - R_{t-1}) P_t} over the distinct thresholds, highest first (as scikit-learn's
 *       average precision);</li>
 *   <li>{@link #fprAtTpr}: the false positive rate at the highest threshold whose true positive rate reaches
 *       the target (FPR at 95% TPR, Hendrycks and Gimpel 2017).</li>
 * </ul>
 * All return NaN when there are no positives or no negatives: the figure is undefined then.
 */
public final class Ranking {

    private Ranking() {
    }

    public static double auroc(double[] score, boolean[] positive) {
        check(score, positive);
        int n = score.length;
        long pos = count(positive);
        long neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        int[] order = ascending(score);
        double rankSumPositive = 0;
        for (int start = 0; start < n; ) {
            int end = start;
            while (end + 1 < n && score[order[end + 1]] == score[order[start]]) {
                end++;
            }
            double midRank = (start + end) / 2.0 + 1.0; // ranks are 1-based
            for (int k = start; k <= end; k++) {
                if (positive[order[k]]) {
                    rankSumPositive += midRank;
                }
            }
            start = end + 1;
        }
        double u = rankSumPositive - pos * (pos + 1) / 2.0;
        return u / ((double) pos * neg);
    }

    public static double averagePrecision(double[] score, boolean[] positive) {
        check(score, positive);
        int n = score.length;
        long pos = count(positive);
        if (pos == 0 || pos == n) {
            return Double.NaN;
        }
        int[] order = ascending(score);
        double ap = 0;
        long tp = 0;
        long flagged = 0;
        double previousRecall = 0;
        for (int end = n - 1; end >= 0; ) {
            int start = end;
            while (start - 1 >= 0 && score[order[start - 1]] == score[order[end]]) {
                start--;
            }
            for (int k = start; k <= end; k++) {
                flagged++;
                if (positive[order[k]]) {
                    tp++;
                }
            }
            double recall = (double) tp / pos;
            double precision = (double) tp / flagged;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            end = start - 1;
        }
        return ap;
    }

    public static double fprAtTpr(double[] score, boolean[] positive, double targetTpr) {
        check(score, positive);
        int n = score.length;
        long pos = count(positive);
        long neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        int[] order = ascending(score);
        long tp = 0;
        long fp = 0;
        for (int end = n - 1; end >= 0; ) {
            int start = end;
            while (start - 1 >= 0 && score[order[start - 1]] == score[order[end]]) {
                start--;
            }
            for (int k = start; k <= end; k++) {
                if (positive[order[k]]) {
                    tp++;
                } else {
                    fp++;
                }
            }
            // a small tolerance so that 19 of 20 counts as 95% despite rounding
            if ((double) tp / pos >= targetTpr - 1e-12) {
                return (double) fp / neg;
            }
            end = start - 1;
        }
        return 1.0;
    }

    static int[] ascending(double[] score) {
        Integer[] boxed = new Integer[score.length];
        for (int i = 0; i < boxed.length; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, (a, b) -> Double.compare(score[a], score[b]));
        int[] order = new int[boxed.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    private static long count(boolean[] flags) {
        long c = 0;
        for (boolean f : flags) {
            if (f) {
                c++;
            }
        }
        return c;
    }

    private static void check(double[] score, boolean[] positive) {
        if (score.length != positive.length) {
            throw new IllegalArgumentException(score.length + " scores but " + positive.length + " labels");
        }
        for (double s : score) {
            if (Double.isNaN(s)) {
                throw new IllegalArgumentException("scores must not be NaN");
            }
        }
    }
}
