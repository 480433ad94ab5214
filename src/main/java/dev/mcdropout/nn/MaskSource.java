package dev.mcdropout.nn;

/**
 * Where the Monte Carlo predictor takes its dropout masks from, one row of one sample at one site at a time.
 * The default draws them from a seed and the row's own values; tests hand in fixed keep-masks (the seed
 * fixture) through the same door.
 */
@FunctionalInterface
public interface MaskSource {

    /**
     * Writes which of the {@code units} units of one row are dropped in one sample at one dropout site: bit
     * {@code k & 63} of {@code dropped[offset + (k >>> 6)]} is set when unit {@code k} is dropped, for
     * {@code k < units}. {@code row} is the row's position in the request and {@code rowKey} the hash of its
     * values ({@link Dropout#rowKey}); a source that wants answers independent of the batch uses only the key.
     */
    void fill(long[] dropped, int offset, int units, long sample, int site, int row, long rowKey, double p);

    /**
     * Every row's bits of one sample at one site: row {@code b}'s from word {@code b * Dropout.words(units)},
     * as {@link #fill} would write them one row at a time.
     */
    default void fillRows(long[] dropped, int units, long sample, int site, long[] rowKeys, double p) {
        int words = Dropout.words(units);
        for (int b = 0; b < rowKeys.length; b++) {
            fill(dropped, b * words, units, sample, site, b, rowKeys[b], p);
        }
    }

    /**
     * Masks that are a pure function of {@code (seed, sample, site, row key)} (see {@link Dropout}): a row's
     * masks do not depend on its position, its neighbours, the chunking or the thread that draws them.
     */
    static MaskSource seeded(long seed) {
        return new Seeded(seed);
    }

    /** The seeded source; the part of the key that rows share is mixed once per sample and site, not per row. */
    record Seeded(long seed) implements MaskSource {
        @Override
        public void fill(long[] dropped, int offset, int units, long sample, int site, int row, long rowKey,
                         double p) {
            Dropout.dropBits(dropped, offset, units, Dropout.key(seed, sample, site, rowKey), p);
        }

        @Override
        public void fillRows(long[] dropped, int units, long sample, int site, long[] rowKeys, double p) {
            int words = Dropout.words(units);
            long shared = Dropout.key(seed, sample, site);
            for (int b = 0; b < rowKeys.length; b++) {
                Dropout.dropBits(dropped, b * words, units, Dropout.rowMaskKey(shared, rowKeys[b]), p);
            }
        }
    }
}
