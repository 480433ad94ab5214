package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The distinct rows of a request, as the network sees them (values in its data type, -0 = +0), with each
 * row's key ({@link Dropout#rowKey}). The predictor computes each distinct row once and hands its answer to
 * every copy: identical rows then get identical answers even where BLAS would round two positions of one
 * product differently, and a repeated row costs nothing. Built without an object per row: keys in a
 * {@code long[]}, candidates found through an open-addressing table of row indices.
 */
record DistinctRows(RowMatrix rows, long[] keys, int[] indexOf, long[] seeds) {

    static DistinctRows of(double[][] raw, DataType type) {
        return of(RowMatrix.of(raw, raw.length == 0 ? 0 : raw[0].length), type);
    }

    static DistinctRows of(RowMatrix raw, DataType type) {
        return of(raw, type, null);
    }

    /**
     * As {@link #of(RowMatrix, DataType)} for rows that each carry a seed ({@code rowSeeds}, one per row; null:
     * one seed for all): two rows are the same only when their values and their seeds are, and
     * {@link #seeds()} holds the seed of each distinct row.
     */
    static DistinctRows of(RowMatrix raw, DataType type, long[] rowSeeds) {
        if (rowSeeds != null && rowSeeds.length != raw.rows()) {
            throw new IllegalArgumentException(raw.rows() + " rows, " + rowSeeds.length + " seeds");
        }
        int n = raw.rows();
        int d = raw.columns();
        double[] values = raw.values();
        long[] rowKeys = new long[n];
        Dropout.rowKeys(values, n, d, type, rowKeys);
        int[] indexOf = new int[n];
        if (n == 1) {
            return new DistinctRows(raw, rowKeys, indexOf, rowSeeds);
        }
        // Open addressing over request rows: table holds (first request row of a distinct row) + 1, 0 = empty.
        int capacity = Integer.highestOneBit(Math.max(2, n) * 2 - 1) << 1;
        int[] table = new int[capacity];
        int[] distinctOf = new int[n];
        int distinct = 0;
        for (int r = 0; r < n; r++) {
            long key = rowKeys[r];
            long slotHash = rowSeeds == null ? key : key ^ Dropout.mix(rowSeeds[r]);
            int slot = (int) (Dropout.mix(slotHash) & (capacity - 1));
            int found = -1;
            while (table[slot] != 0) {
                int candidate = table[slot] - 1;
                // A different row with the same 64-bit key (odds about 2^-64 per pair) stays a row of its own.
                if (rowKeys[candidate] == key && (rowSeeds == null || rowSeeds[candidate] == rowSeeds[r])
                        && sameInput(values, candidate * d, r * d, d, type)) {
                    found = distinctOf[candidate];
                    break;
                }
                slot = (slot + 1) & (capacity - 1);
            }
            if (found < 0) {
                table[slot] = r + 1;
                found = distinct++;
                distinctOf[r] = found;
            }
            indexOf[r] = found;
        }
        if (distinct == n) {
            return new DistinctRows(raw, rowKeys, indexOf, rowSeeds);
        }
        double[] compact = new double[distinct * d];
        long[] keys = new long[distinct];
        long[] seeds = rowSeeds == null ? null : new long[distinct];
        int next = 0;
        for (int r = 0; r < n; r++) {
            if (indexOf[r] == next) {
                System.arraycopy(values, r * d, compact, next * d, d);
                keys[next] = rowKeys[r];
                if (seeds != null) {
                    seeds[next] = rowSeeds[r];
                }
                next++;
            }
        }
        return new DistinctRows(new RowMatrix(compact, distinct, d), keys, indexOf, seeds);
    }

    /** Per request row, the answer of its distinct row; copies get arrays of their own. */
    List<Uncertainty> expand(List<Uncertainty> distinct) {
        List<Uncertainty> out = new ArrayList<>(indexOf.length);
        boolean[] handedOut = new boolean[distinct.size()];
        for (int index : indexOf) {
            Uncertainty u = distinct.get(index);
            out.add(handedOut[index] ? u.copy() : u);
            handedOut[index] = true;
        }
        return out;
    }

    /** The first request row whose distinct row is {@code index}. */
    int firstRequestRow(int index) {
        for (int r = 0; r < indexOf.length; r++) {
            if (indexOf[r] == index) {
                return r;
            }
        }
        return index;
    }

    private static boolean sameInput(double[] values, int a, int b, int length, DataType type) {
        for (int j = 0; j < length; j++) {
            double x = values[a + j];
            double y = values[b + j];
            boolean same = type == DataType.FLOAT ? (float) x == (float) y : x == y;
            if (!same) {
                return false;
            }
        }
        return true;
    }
}
