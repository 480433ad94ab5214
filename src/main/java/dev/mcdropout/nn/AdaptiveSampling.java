package dev.mcdropout.nn;

/**
 * How adaptive Monte Carlo sampling ({@link MonteCarloPredictor#predictAdaptive}) spends passes: each row gets
 * {@code minSamples} passes, then the number it has is doubled, round by round, up to {@code maxSamples}; a row
 * leaves after the first round at whose end the standard error of every class's mean probability is below
 * {@code tolerance} ({@link RowMoments#standardError}). So a row is checked after {@code minSamples},
 * {@code 2 minSamples}, {@code 4 minSamples}, ... and {@code maxSamples} passes: a handful of rounds, each one
 * batched product over the rows still in it, at the price of up to twice the passes the criterion needed
 * (against rounds of a fixed size, which overshoot less but cost a round per step).
 *
 * <p>The criterion is a sequential one on estimated spreads (as in fixed-width confidence intervals, Chow and
 * Robbins 1965): with few passes a row whose passes rarely disagree can show no spread at all and stop early,
 * which is what {@code minSamples} guards against.
 */
public record AdaptiveSampling(double tolerance, int minSamples, int maxSamples) {

    /** Standard error of a mean probability below which a row stops: about +-0.02 at 95% confidence. */
    public static final double DEFAULT_TOLERANCE = 0.01;

    /**
     * Passes every row gets before the criterion is first checked. On the held-out digits rows 25 stopped three
     * rows of 359 whose first passes happened to agree more than their later ones, with a mean more than twice
     * the tolerance from the 800-pass mean; 50 stopped none such, for a fifth more passes
     * (docs/performance.md, "Adaptive Monte Carlo").
     */
    public static final int DEFAULT_MIN_SAMPLES = 50;

    /** Passes after which a row stops whatever its standard error. */
    public static final int DEFAULT_MAX_SAMPLES = 800;

    public AdaptiveSampling {
        if (!(tolerance > 0.0 && tolerance < 1.0)) {
            throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
        }
        if (minSamples < 2) {
            throw new IllegalArgumentException("minSamples must be >= 2 (a standard error needs two passes), got "
                    + minSamples);
        }
        if (maxSamples < minSamples) {
            throw new IllegalArgumentException("maxSamples (" + maxSamples + ") must be >= minSamples ("
                    + minSamples + ")");
        }
    }

    public static AdaptiveSampling defaults() {
        return new AdaptiveSampling(DEFAULT_TOLERANCE, DEFAULT_MIN_SAMPLES, DEFAULT_MAX_SAMPLES);
    }

    /** The number of passes a row has after the round that follows {@code drawn} passes. */
    public int nextCheck(int drawn) {
        return drawn == 0 ? minSamples : (int) Math.min(maxSamples, 2L * drawn);
    }
}
