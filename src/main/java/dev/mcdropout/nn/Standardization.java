package dev.mcdropout.nn;

import java.util.Arrays;

/**
 * Per-feature standardisation applied as {@code (x - mean) / std} before the first layer. Fitted on the
 * training split only, so validation and test rows see the same transform a served request does.
 */
public record Standardization(double[] mean, double[] std) {

    public Standardization {
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " entries, std " + std.length);
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Double.isFinite(mean[i]) || !Double.isFinite(std[i]) || std[i] <= 0) {
                throw new IllegalArgumentException("feature " + i + ": mean must be finite and std finite and > 0");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The identity transform for {@code features} inputs. */
    public static Standardization identity(int features) {
        double[] ones = new double[features];
        Arrays.fill(ones, 1.0);
        return new Standardization(new double[features], ones);
    }

    /**
     * Fits mean and population std per column. A constant column gets scale 1 so that it maps to 0
     * instead of dividing by zero.
     */
    public static Standardization fit(double[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("cannot fit a standardisation on no rows");
        }
        int d = rows[0].length;
        double[] mean = new double[d];
        double[] m2 = new double[d];
        // Welford's update keeps the variance accurate for large, offset features.
        for (int n = 0; n < rows.length; n++) {
            double[] r = rows[n];
            for (int j = 0; j < d; j++) {
                double delta = r[j] - mean[j];
                mean[j] += delta / (n + 1);
                m2[j] += delta * (r[j] - mean[j]);
            }
        }
        double[] std = new double[d];
        for (int j = 0; j < d; j++) {
            double s = Math.sqrt(m2[j] / rows.length);
            std[j] = s > 1e-12 * Math.max(1.0, Math.abs(mean[j])) ? s : 1.0;
        }
        return new Standardization(mean, std);
    }

    public int features() {
        return mean.length;
    }

    public boolean isIdentity() {
        for (int i = 0; i < mean.length; i++) {
            if (mean[i] != 0.0 || std[i] != 1.0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Standardization s && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Standardization[features=" + mean.length + "]";
    }
}
