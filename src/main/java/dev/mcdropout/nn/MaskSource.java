package dev.mcdropout.nn;

/**
 * Where the Monte Carlo predictor takes its dropout masks from. The default draws them from a seed; tests
 * hand in fixed keep-masks (the seed fixture) through the same door.
 */
@FunctionalInterface
public interface MaskSource {

    /**
     * Writes which units of one sample are dropped at one dropout site, for all rows of the request in
     * row-major order ({@code rows x width} units): bit {@code k & 63} of {@code dropped[k >>> 6]} is set
     * when unit {@code k} is dropped. {@code dropped} holds at least {@code ceil(units / 64)} words.
     */
    void fill(long[] dropped, int units, long sample, int site, double p);

    /** Masks that are a pure function of {@code (seed, sample, site)}: see {@link Dropout#dropBits}. */
    static MaskSource seeded(long seed) {
        return (dropped, units, sample, site, p) -> Dropout.dropBits(dropped, units, seed, sample, site, p);
    }
}
