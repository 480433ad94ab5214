package dev.mcdropout.nn;

/**
 * Where the Monte Carlo predictor takes its DropConnect masks from: one mask over one layer's weights per sample,
 * shared by every row of that sample (a sample is one network drawn from the distribution). The default draws
 * them from a seed; tests hand in fixed masks through the same door.
 */
@FunctionalInterface
public interface WeightMaskSource {

    /**
     * Writes which of the {@code units = inputs x outputs} weights of layer {@code layer} are dropped in sample
     * {@code sample}: bit {@code k & 63} of {@code dropped[k >>> 6]} is set when weight {@code k} is dropped,
     * weight {@code (r, c)} being {@code k = r * outputs + c} (row-major, as {@code W} is stored).
     */
    void fill(long[] dropped, int units, long sample, int layer, double p);

    /**
     * Masks that are a pure function of {@code (seed, sample, weight site)} ({@link Dropout#weightKey}): they do
     * not depend on the rows, the chunking or the thread that draws them.
     */
    static WeightMaskSource seeded(long seed) {
        return (dropped, units, sample, layer, p) ->
                Dropout.dropBits(dropped, 0, units, Dropout.weightKey(seed, sample, layer), p);
    }
}
