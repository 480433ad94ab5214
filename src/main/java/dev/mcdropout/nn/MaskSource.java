package dev.mcdropout.nn;

/**
 * Where the Monte Carlo predictor takes its dropout masks from. The default draws them from a seed; tests
 * hand in fixed keep-masks (the seed fixture) through the same door.
 */
@FunctionalInterface
public interface MaskSource {

    /**
     * Writes the scaled mask ({@code keep / (1 - p)}) of one sample at one dropout site, for all rows of the
     * request, row-major ({@code rows x width}), into {@code target[offset .. offset + length)}.
     */
    void fill(float[] target, int offset, int length, long sample, int site, double p);

    /** Masks that are a pure function of {@code (seed, sample, site)}: see {@link Dropout}. */
    static MaskSource seeded(long seed) {
        return (target, offset, length, sample, site, p) -> Dropout.fill(target, offset, length, seed, sample, site, p);
    }
}
