package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The distinct rows of a request, as the network sees them (values in its data type, -0 = +0), with each
 * row's key ({@link Dropout#rowKey}). The predictor computes each distinct row once and hands its answer to
 * every copy: identical rows then get identical answers even where BLAS would round two positions of one
 * product differently, and a repeated row costs nothing.
 */
record DistinctRows(double[][] rows, long[] keys, int[] indexOf) {

    static DistinctRows of(double[][] raw, DataType type) {
        List<double[]> rows = new ArrayList<>();
        List<Long> keys = new ArrayList<>();
        Map<Long, List<Integer>> byKey = new HashMap<>();
        int[] indexOf = new int[raw.length];
        for (int r = 0; r < raw.length; r++) {
            long key = Dropout.rowKey(raw[r], type);
            List<Integer> candidates = byKey.computeIfAbsent(key, k -> new ArrayList<>(1));
            int found = -1;
            for (int candidate : candidates) {
                if (sameInput(rows.get(candidate), raw[r], type)) {
                    found = candidate;
                    break;
                }
            }
            if (found < 0) {
                // A different row with the same 64-bit key (odds about 2^-64 per pair) stays a row of its own.
                found = rows.size();
                rows.add(raw[r]);
                keys.add(key);
                candidates.add(found);
            }
            indexOf[r] = found;
        }
        return new DistinctRows(rows.toArray(double[][]::new), keys.stream().mapToLong(Long::longValue).toArray(),
                indexOf);
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

    private static boolean sameInput(double[] a, double[] b, DataType type) {
        if (a.length != b.length) {
            return false;
        }
        for (int j = 0; j < a.length; j++) {
            boolean same = type == DataType.FLOAT ? (float) a[j] == (float) b[j] : a[j] == b[j];
            if (!same) {
                return false;
            }
        }
        return true;
    }
}
