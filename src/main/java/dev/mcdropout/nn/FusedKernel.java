package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Monte Carlo predictor's element-wise steps on an array's native memory, specialised per data type.
 * Each call moves one sample's block ({@code rows x width} elements from {@code offset}) into heap scratch
 * with one bulk copy, works there, and writes it back with one bulk copy: per-element access to a direct
 * buffer was several times slower.
 *
 * <p>Drop bits come one row at a time: row {@code b}'s bits start at word {@code b * wordsPerRow}, so that
 * every row's mask is drawn on its own (see {@link MaskSource}). The loops walk a row's bits a word at a
 * time and turn each bit into the factor 0 or {@code scale} by masking the factor's bit pattern, with no
 * branch and no per-element word lookup. Disjoint blocks may be processed in parallel.
 */
abstract sealed class FusedKernel permits FusedKernel.FloatKernel, FusedKernel.DoubleKernel {

    static FusedKernel of(INDArray a) {
        if (a.ordering() != 'c' || a.isView()) {
            throw new IllegalStateException("expected a fresh row-major array");
        }
        return a.dataType() == DataType.FLOAT ? new FloatKernel(a.data().asNioFloat())
                : new DoubleKernel(a.data().asNioDouble());
    }

    /** {@code this[offset + b * width + c] = mask(b, c) * prefix[b * width + c]}: tiling and dropout in one. */
    abstract void tile(FusedKernel prefix, long[] dropped, int wordsPerRow, double scale, int offset, int rows,
                       int width, Scratch scratch);

    /** In place: {@code this[offset + b * width + c] = mask(b, c) * activation(this[...] + bias[c])}. */
    abstract void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, int wordsPerRow,
                                   double scale, int offset, int rows, int width, Scratch scratch);

    static final class FloatKernel extends FusedKernel {
        private final FloatBuffer values;

        FloatKernel(FloatBuffer values) {
            this.values = values;
        }

        @Override
        void tile(FusedKernel prefix, long[] dropped, int wordsPerRow, double scale, int offset, int rows, int width,
                  Scratch scratch) {
            int length = rows * width;
            float[] source = scratch.prefixFloats(((FloatKernel) prefix).values, length);
            float[] v = scratch.floats();
            int factor = Float.floatToRawIntBits((float) scale);
            for (int b = 0, rowStart = 0, word = 0; b < rows; b++, rowStart += width, word += wordsPerRow) {
                for (int c0 = 0, w = word; c0 < width; c0 += 64, w++) {
                    long drop = dropped[w];
                    int end = Math.min(64, width - c0);
                    int k0 = rowStart + c0;
                    for (int j = 0; j < end; j++) {
                        v[k0 + j] = source[k0 + j] * Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                    }
                }
            }
            values.put(offset, v, 0, length);
        }

        @Override
        void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, int wordsPerRow,
                              double scale, int offset, int rows, int width, Scratch scratch) {
            int length = rows * width;
            float[] v = scratch.floats();
            values.get(offset, v, 0, length);
            int factor = Float.floatToRawIntBits((float) scale);
            for (int b = 0, rowStart = 0, word = 0; b < rows; b++, rowStart += width, word += wordsPerRow) {
                for (int c0 = 0, w = word; c0 < width; c0 += 64, w++) {
                    long drop = dropped[w];
                    int end = Math.min(64, width - c0);
                    int k0 = rowStart + c0;
                    for (int j = 0; j < end; j++) {
                        float x = v[k0 + j] + floatBias[c0 + j];
                        float kept = Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                        v[k0 + j] = (relu ? Math.max(x, 0f) : x) * kept;
                    }
                }
            }
            values.put(offset, v, 0, length);
        }
    }

    static final class DoubleKernel extends FusedKernel {
        private final DoubleBuffer values;

        DoubleKernel(DoubleBuffer values) {
            this.values = values;
        }

        @Override
        void tile(FusedKernel prefix, long[] dropped, int wordsPerRow, double scale, int offset, int rows, int width,
                  Scratch scratch) {
            int length = rows * width;
            double[] source = scratch.prefixDoubles(((DoubleKernel) prefix).values, length);
            double[] v = scratch.doubles();
            long factor = Double.doubleToRawLongBits(scale);
            for (int b = 0, rowStart = 0, word = 0; b < rows; b++, rowStart += width, word += wordsPerRow) {
                for (int c0 = 0, w = word; c0 < width; c0 += 64, w++) {
                    long drop = dropped[w];
                    int end = Math.min(64, width - c0);
                    int k0 = rowStart + c0;
                    for (int j = 0; j < end; j++) {
                        v[k0 + j] = source[k0 + j] * Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                    }
                }
            }
            values.put(offset, v, 0, length);
        }

        @Override
        void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, int wordsPerRow,
                              double scale, int offset, int rows, int width, Scratch scratch) {
            int length = rows * width;
            double[] v = scratch.doubles();
            values.get(offset, v, 0, length);
            long factor = Double.doubleToRawLongBits(scale);
            for (int b = 0, rowStart = 0, word = 0; b < rows; b++, rowStart += width, word += wordsPerRow) {
                for (int c0 = 0, w = word; c0 < width; c0 += 64, w++) {
                    long drop = dropped[w];
                    int end = Math.min(64, width - c0);
                    int k0 = rowStart + c0;
                    for (int j = 0; j < end; j++) {
                        double x = v[k0 + j] + bias[c0 + j];
                        double kept = Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                        v[k0 + j] = (relu ? Math.max(x, 0.0) : x) * kept;
                    }
                }
            }
            values.put(offset, v, 0, length);
        }
    }
}
