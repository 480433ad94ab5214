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

    /**
     * Masks with a seed per row: row {@code row} draws exactly the bits {@link #seeded(long) seeded(rowSeeds[row])}
     * would draw for it, so rows of several requests (each with its own seed) can share one engine call and each
     * still gets its own request's masks. {@code row} indexes {@code rowSeeds}: hand it to the engine through
     * {@link MonteCarloPredictor#predict(Network, RowMatrix, int, long[], boolean, java.util.function.BooleanSupplier)},
     * which keeps rows with equal values but different seeds apart and asks about each row by its position.
     */
    static MaskSource seeded(long[] rowSeeds) {
        return new RowSeeded(rowSeeds.clone());
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
            long threshold = Dropout.threshold(p);
            for (int b = 0; b < rowKeys.length; b++) {
                Dropout.dropBitsBelow(dropped, b * words, units, Dropout.rowMaskKey(shared, rowKeys[b]), threshold);
            }
        }
    }

    /**
     * The source with a seed per row. Rows of one request sit next to each other, so the shared part of the key
     * is mixed again only where the seed changes from one row to the next.
     */
    record RowSeeded(long[] rowSeeds) implements MaskSource {
        @Override
        public void fill(long[] dropped, int offset, int units, long sample, int site, int row, long rowKey,
                         double p) {
            Dropout.dropBits(dropped, offset, units, Dropout.key(rowSeeds[row], sample, site, rowKey), p);
        }

        @Override
        public void fillRows(long[] dropped, int units, long sample, int site, long[] rowKeys, double p) {
            if (rowKeys.length != rowSeeds.length) {
                throw new IllegalArgumentException(rowKeys.length + " rows, " + rowSeeds.length + " seeds");
            }
            int words = Dropout.words(units);
            long threshold = Dropout.threshold(p);
            long seed = 0;
            long shared = 0;
            for (int b = 0; b < rowKeys.length; b++) {
                if (b == 0 || rowSeeds[b] != seed) {
                    seed = rowSeeds[b];
                    shared = Dropout.key(seed, sample, site);
                }
                Dropout.dropBitsBelow(dropped, b * words, units, Dropout.rowMaskKey(shared, rowKeys[b]), threshold);
            }
        }
    }
}
