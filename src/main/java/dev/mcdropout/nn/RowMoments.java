package dev.mcdropout.nn;

/**
 * The running statistics of one row over some Monte Carlo passes, in a form that two disjoint sets of passes
 * can be merged in (Chan, Golub and LeVeque 1979: means and sums of squared deviations combine exactly, up to
 * rounding, as if the passes had been folded one by one): the count, the mean and the sum of squared
 * deviations ({@code M2}) of each class probability (and optionally of each raw score), the sum of the passes'
 * entropies and the votes per class. Adaptive sampling ({@link MonteCarloPredictor#predictAdaptive}) folds a
 * round of passes per row with {@link MonteCarloStatistics} and merges it here.
 */
final class RowMoments {
    private final long n;
    private final double[] probMean;
    private final double[] probM2;
    private final double[] scoreMean;
    private final double[] scoreM2;
    private final double entropySum;
    private final int[] votes;

    /** Takes the arrays as they are (callers hand in copies); {@code scoreMean}/{@code scoreM2} may be null. */
    RowMoments(long n, double[] probMean, double[] probM2, double[] scoreMean, double[] scoreM2, double entropySum,
               int[] votes) {
        this.n = n;
        this.probMean = probMean;
        this.probM2 = probM2;
        this.scoreMean = scoreMean;
        this.scoreM2 = scoreM2;
        this.entropySum = entropySum;
        this.votes = votes;
    }

    long passes() {
        return n;
    }

    /** These passes and {@code other}'s, which must be other passes of the same row. */
    RowMoments merge(RowMoments other) {
        if ((scoreMean == null) != (other.scoreMean == null)) {
            throw new IllegalArgumentException("both or neither must keep the raw scores");
        }
        int[] sumVotes = votes.clone();
        for (int c = 0; c < sumVotes.length; c++) {
            sumVotes[c] += other.votes[c];
        }
        double[][] probs = merged(probMean, probM2, other.probMean, other.probM2, other.n);
        double[][] scores = scoreMean == null ? new double[2][] : merged(scoreMean, scoreM2, other.scoreMean,
                other.scoreM2, other.n);
        return new RowMoments(n + other.n, probs[0], probs[1], scores[0], scores[1], entropySum + other.entropySum,
                sumVotes);
    }

    /** Chan et al.'s pairwise update: {@code delta = mean_b - mean_a}, {@code M2 = M2_a + M2_b + delta^2 n_a n_b / n}. */
    private double[][] merged(double[] meanA, double[] m2A, double[] meanB, double[] m2B, long nB) {
        double total = n + nB;
        double[] mean = new double[meanA.length];
        double[] m2 = new double[meanA.length];
        for (int c = 0; c < mean.length; c++) {
            double delta = meanB[c] - meanA[c];
            mean[c] = meanA[c] + delta * (nB / total);
            m2[c] = m2A[c] + m2B[c] + delta * delta * (n * (nB / total));
        }
        return new double[][] {mean, m2};
    }

    /**
     * The largest standard error of a class's mean probability, {@code max_c s_c / sqrt(n)} with
     * {@code s_c^2 = M2_c / (n - 1)} the unbiased sample variance: how far the reported mean may be from the
     * mean over infinitely many passes, in standard deviations of its sampling distribution. Infinite below
     * two passes. It equals {@code std_c / sqrt(n - 1)} with {@code std} the reported population std.
     */
    double standardError() {
        if (n < 2) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0.0;
        for (double m2 : probM2) {
            worst = Math.max(worst, Math.max(0.0, m2) / ((double) n * (n - 1)));
        }
        return Math.sqrt(worst);
    }

    /**
     * The row's summary (see {@link Uncertainty}); {@code deterministic}: one pass that stands for all of them,
     * so no spread.
     */
    Uncertainty summary(boolean deterministic) {
        int classes = probMean.length;
        double[] mean = probMean.clone();
        double[] std = deterministic ? new double[classes] : std(probM2);
        double h = Probabilities.entropy(mean);
        double mi = deterministic ? 0.0 : Math.max(0.0, h - entropySum / n);
        int modal = Probabilities.argmax(votes);
        double variationRatio = deterministic ? 0.0 : 1.0 - (double) votes[modal] / n;
        return new Uncertainty(Probabilities.argmax(mean), mean, std, h, mi, variationRatio,
                scoreMean != null ? scoreMean.clone() : null,
                scoreMean != null ? (deterministic ? new double[classes] : std(scoreM2)) : null);
    }

    private double[] std(double[] m2) {
        double[] s = new double[m2.length];
        for (int c = 0; c < s.length; c++) {
            s[c] = Math.sqrt(Math.max(0.0, m2[c] / n));
        }
        return s;
    }
}
