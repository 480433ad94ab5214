package dev.mcdropout.nn;

/** Softmax, entropy and argmax on one row of Java numbers, shared by the loss, the network and the predictor. */
public final class Probabilities {

    private Probabilities() {
    }

    /**
     * Softmax of {@code length} scores from {@code from} into {@code out} at {@code to}, shifted by the row's
     * maximum so that no exponential overflows; returns the log of the shifted sum,
     * {@code log(sum(exp(s - max)))}, from which a log-probability is {@code s - max - logSum}.
     */
    public static double softmax(double[] scores, int from, int length, double[] out, int to) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < length; c++) {
            max = Math.max(max, scores[from + c]);
        }
        double sum = 0.0;
        for (int c = 0; c < length; c++) {
            out[to + c] = Math.exp(scores[from + c] - max);
            sum += out[to + c];
        }
        for (int c = 0; c < length; c++) {
            out[to + c] /= sum;
        }
        return Math.log(sum);
    }

    /** Softmax of a whole row into {@code out}. */
    public static void softmax(double[] scores, double[] out) {
        softmax(scores, 0, scores.length, out, 0);
    }

    /** Shannon entropy in nats, with 0 log 0 = 0. */
    public static double entropy(double[] p) {
        double h = 0.0;
        for (double v : p) {
            if (v > 0.0) {
                h -= v * Math.log(v);
            }
        }
        return h;
    }

    /** Index of the first maximum of {@code length} values from {@code from}, relative to {@code from}. */
    public static int argmax(double[] v, int from, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }

    public static int argmax(double[] v) {
        return argmax(v, 0, v.length);
    }

    static int argmax(int[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
