package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The output layer's product for a network whose only dropout site is the output layer's input (one hidden
 * layer, as 784-256-10), computed in Java straight from the prefix and each row's drop bits, with no tiled
 * input and no BLAS call.
 *
 * <p>Why: for such a network every sample's input to the output layer is the same prefix row with a fresh
 * mask, and the product is skinny (k × C with C the class count). Through BLAS that meant writing the tiled,
 * masked input (N·B·k floats) to native memory and reading it back in a product that runs far below the
 * sgemm rate because one side is C = 10 wide (run 13 in {@code docs/performance.md}). Here a row's score is
 * the sum over the units that are both kept and non-zero (ReLU zeros and dropped units cost nothing) of
 * {@code (prefix value × kept scale) × weight row}: with p = 1/2 and ReLU about a quarter of the dense work,
 * read from a prefix and weights that stay in cache.
 *
 * <p>Rounding: each term is the product BLAS would form ({@code prefix × scale}, rounded, times the weight)
 * fused into the running sum ({@link Math#fma}), summed in unit order; BLAS sums in an order of its own
 * choosing. The two agree to floating-point rounding, within the engine's stated bound; a row's scores depend
 * only on that row's values and masks, so they are bit-identical wherever the row sits and whatever the
 * threads. Classes are summed ten at a time in locals (the weights are laid out ten columns a group, padded
 * with zeros), so the common ten-class case is one walk over the kept units.
 */
abstract sealed class SkinnyOutput permits SkinnyOutput.Floats, SkinnyOutput.Doubles {

    /** Above this many classes the product is no longer skinny and BLAS does it better. */
    static final int MAX_CLASSES = 32;

    /** Classes summed per walk over a row's kept units. */
    static final int GROUP = 10;

    final int rows;
    final int width;
    final int classes;
    final int words;
    final int groups;
    /** Per row, the units whose prefix value is non-zero, {@link Dropout#words} words a row. */
    final long[] nonZero;

    SkinnyOutput(int rows, int width, int classes) {
        this.rows = rows;
        this.width = width;
        this.classes = classes;
        this.words = Dropout.words(width);
        this.groups = (classes + GROUP - 1) / GROUP;
        this.nonZero = new long[rows * words];
    }

    /**
     * The product of {@code prefix} (B × k, in test mode, before the mask) and the output layer of
     * {@code network} (k × C), its weights laid out once per network ({@link Network#packedOutput}).
     */
    static SkinnyOutput of(INDArray prefix, Network network, double scale) {
        int rows = (int) prefix.rows();
        int width = (int) prefix.columns();
        Object packed = network.packedOutput();
        return packed instanceof float[] w
                ? new Floats(prefix.data().asNioFloat(), w, rows, width, network.outputs(), (float) scale)
                : new Doubles(prefix.data().asNioDouble(), (double[]) packed, rows, width, network.outputs(), scale);
    }

    /**
     * The output weights {@code weights} (k × C) ten columns a group ({@link #packed}), zero-padded: a
     * {@code float[]} for a float network, else a {@code double[]}.
     */
    static Object pack(INDArray weights) {
        INDArray w = weights.ordering() == 'c' && !weights.isView() ? weights : weights.dup('c');
        int width = (int) w.rows();
        int classes = (int) w.columns();
        int groups = (classes + GROUP - 1) / GROUP;
        if (w.dataType() == DataType.FLOAT) {
            float[] values = new float[width * classes];
            w.data().asNioFloat().get(0, values, 0, values.length);
            float[] out = new float[groups * width * GROUP];
            for (int k = 0; k < width; k++) {
                for (int c = 0; c < classes; c++) {
                    out[((c / GROUP) * width + k) * GROUP + c % GROUP] = values[k * classes + c];
                }
            }
            return out;
        }
        double[] values = new double[width * classes];
        w.castTo(DataType.DOUBLE).data().asNioDouble().get(0, values, 0, values.length);
        double[] out = new double[groups * width * GROUP];
        for (int k = 0; k < width; k++) {
            for (int c = 0; c < classes; c++) {
                out[((c / GROUP) * width + k) * GROUP + c % GROUP] = values[k * classes + c];
            }
        }
        return out;
    }

    /**
     * Class scores, without the output bias, of one sample's rows into {@code out} from {@code offset} (row
     * {@code b}'s at {@code offset + b * classes}), with row {@code b}'s drop bits from word {@code b * words}
     * of {@code dropped}.
     */
    abstract void scores(long[] dropped, double[] out, int offset);

    /** The weights ten columns a group: group g's weight of unit k and class g·10 + j at {@code (g·k + k)·10 + j}. */
    final int packed(int group, int unit, int column) {
        return (group * width + unit) * GROUP + column;
    }

    final void markNonZero(int row, int unit) {
        nonZero[row * words + (unit >>> 6)] |= 1L << unit;
    }

    /** Stores the first {@code classes - g·10} of a group's ten sums (the rest are the padding's zeros). */
    final void store(double[] out, int at, int group, double a0, double a1, double a2, double a3, double a4,
                     double a5, double a6, double a7, double a8, double a9) {
        int n = Math.min(GROUP, classes - group * GROUP);
        at += group * GROUP;
        switch (n) {
            case 10: out[at + 9] = a9; // fall through
            case 9: out[at + 8] = a8; // fall through
            case 8: out[at + 7] = a7; // fall through
            case 7: out[at + 6] = a6; // fall through
            case 6: out[at + 5] = a5; // fall through
            case 5: out[at + 4] = a4; // fall through
            case 4: out[at + 3] = a3; // fall through
            case 3: out[at + 2] = a2; // fall through
            case 2: out[at + 1] = a1; // fall through
            default: out[at] = a0;
        }
    }

    static final class Floats extends SkinnyOutput {
        private final float[] prefix;
        private final float[] weights;

        Floats(FloatBuffer prefixValues, float[] packedWeights, int rows, int width, int classes, float scale) {
            super(rows, width, classes);
            this.weights = packedWeights;
            // Each value times the kept scale once here rather than once per kept unit and sample: the same
            // float product, so the sums are unchanged bit for bit.
            this.prefix = new float[rows * width];
            prefixValues.get(0, prefix, 0, prefix.length);
            for (int b = 0; b < rows; b++) {
                for (int k = 0; k < width; k++) {
                    if (prefix[b * width + k] != 0f) {
                        markNonZero(b, k);
                        prefix[b * width + k] *= scale;
                    }
                }
            }
        }

        @Override
        void scores(long[] dropped, double[] out, int offset) {
            float[] w = weights;
            for (int b = 0; b < rows; b++) {
                int row = b * width;
                for (int g = 0; g < groups; g++) {
                    float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f, a8 = 0f, a9 = 0f;
                    int base = g * width * GROUP;
                    for (int v = 0; v < words; v++) {
                        long active = ~dropped[b * words + v] & nonZero[b * words + v];
                        while (active != 0L) {
                            int k = (v << 6) + Long.numberOfTrailingZeros(active);
                            active &= active - 1L;
                            float x = prefix[row + k];
                            int o = base + k * GROUP;
                            a0 = Math.fma(x, w[o], a0);
                            a1 = Math.fma(x, w[o + 1], a1);
                            a2 = Math.fma(x, w[o + 2], a2);
                            a3 = Math.fma(x, w[o + 3], a3);
                            a4 = Math.fma(x, w[o + 4], a4);
                            a5 = Math.fma(x, w[o + 5], a5);
                            a6 = Math.fma(x, w[o + 6], a6);
                            a7 = Math.fma(x, w[o + 7], a7);
                            a8 = Math.fma(x, w[o + 8], a8);
                            a9 = Math.fma(x, w[o + 9], a9);
                        }
                    }
                    store(out, offset + b * classes, g, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
                }
            }
        }
    }

    static final class Doubles extends SkinnyOutput {
        private final double[] prefix;
        private final double[] weights;

        Doubles(DoubleBuffer prefixValues, double[] packedWeights, int rows, int width, int classes, double scale) {
            super(rows, width, classes);
            this.weights = packedWeights;
            this.prefix = new double[rows * width];
            prefixValues.get(0, prefix, 0, prefix.length);
            for (int b = 0; b < rows; b++) {
                for (int k = 0; k < width; k++) {
                    if (prefix[b * width + k] != 0.0) {
                        markNonZero(b, k);
                        prefix[b * width + k] *= scale;
                    }
                }
            }
        }

        @Override
        void scores(long[] dropped, double[] out, int offset) {
            double[] w = weights;
            for (int b = 0; b < rows; b++) {
                int row = b * width;
                for (int g = 0; g < groups; g++) {
                    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0;
                    int base = g * width * GROUP;
                    for (int v = 0; v < words; v++) {
                        long active = ~dropped[b * words + v] & nonZero[b * words + v];
                        while (active != 0L) {
                            int k = (v << 6) + Long.numberOfTrailingZeros(active);
                            active &= active - 1L;
                            double x = prefix[row + k];
                            int o = base + k * GROUP;
                            a0 = Math.fma(x, w[o], a0);
                            a1 = Math.fma(x, w[o + 1], a1);
                            a2 = Math.fma(x, w[o + 2], a2);
                            a3 = Math.fma(x, w[o + 3], a3);
                            a4 = Math.fma(x, w[o + 4], a4);
                            a5 = Math.fma(x, w[o + 5], a5);
                            a6 = Math.fma(x, w[o + 6], a6);
                            a7 = Math.fma(x, w[o + 7], a7);
                            a8 = Math.fma(x, w[o + 8], a8);
                            a9 = Math.fma(x, w[o + 9], a9);
                        }
                    }
                    store(out, offset + b * classes, g, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
                }
            }
        }
    }
}
