package dev.mcdropout.nn;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout masks (Srivastava et al. 2014, as in the seed tutorial): a unit is kept with probability
 * {@code 1 - p} and kept units are scaled by {@code 1 / (1 - p)}, so no rescaling is needed at test time.
 *
 * <p>Every mask is a pure function of {@code (seed, stream, site)}: the Monte Carlo predictor uses the
 * sample index as the stream, so a sample's masks do not depend on which thread or chunk computes it.
 * Draws use Java's {@link SplittableRandom}, not ND4J's native generator, for the same reason.
 */
public final class Dropout {

    private Dropout() {
    }

    /**
     * Scaled mask of shape [rows, cols]: each entry is {@code 1 / (1 - p)} (kept) or 0 (dropped).
     * Returns null when {@code p == 0}, meaning "no dropout here".
     */
    public static INDArray scaledMask(long seed, long stream, int site, int rows, int cols, double p, DataType type) {
        if (p == 0.0) {
            return null;
        }
        float[] values = new float[Math.multiplyExact(rows, cols)];
        fill(values, 0, values.length, seed, stream, site, p);
        INDArray mask = Nd4j.create(values, new long[] {rows, cols}, DataType.FLOAT);
        return type == DataType.FLOAT ? mask : mask.castTo(type);
    }

    /**
     * Writes {@code length} scaled-mask values for one {@code (seed, stream, site)} into {@code target}
     * starting at {@code offset}. Used to lay the masks of several samples into one batched block.
     */
    public static void fill(float[] target, int offset, int length, long seed, long stream, int site, double p) {
        SplittableRandom random = new SplittableRandom(mix(seed, stream, site));
        float scale = (float) (1.0 / (1.0 - p));
        // A unit is kept when a uniform 32-bit draw is >= p * 2^32: Pr = 1 - p to within 2^-32.
        long threshold = (long) Math.ceil(p * 4294967296.0);
        int i = offset;
        int end = offset + length;
        // Branch-free select: with p near 0.5 a compare-and-branch mispredicts half the time and costs more than
        // the draw. (x - threshold) >>> 63 is 1 exactly when x < threshold, i.e. when the unit is dropped.
        while (i + 1 < end) {
            long bits = random.nextLong();
            target[i++] = scale * (1 - (((bits >>> 32) - threshold) >>> 63));
            target[i++] = scale * (1 - (((bits & 0xFFFFFFFFL) - threshold) >>> 63));
        }
        if (i < end) {
            target[i] = scale * (1 - (((random.nextLong() >>> 32) - threshold) >>> 63));
        }
    }

    /**
     * Drop decisions for {@code units} units as bits, 64 units a word (bit set = dropped), each unit dropped
     * with probability {@code ceil(p * 2^32) / 2^32}, as in {@link #fill}.
     *
     * <p>The words are built bit-parallel from the binary expansion of that probability: starting from
     * all-zero, each 1 bit of the threshold (least significant first) ORs in a fresh random word and each 0
     * bit ANDs one in, which leaves every bit set with probability exactly {@code threshold / 2^32}. Trailing
     * zero bits cost nothing, so p = 1/2 takes one random word per 64 units instead of 32.
     */
    public static void dropBits(long[] dropped, int units, long seed, long stream, int site, double p) {
        int words = (units + 63) >>> 6;
        long threshold = (long) Math.ceil(p * 4294967296.0);
        if (threshold == 0) {
            java.util.Arrays.fill(dropped, 0, words, 0L);
            return;
        }
        if (threshold >= 1L << 32) {
            java.util.Arrays.fill(dropped, 0, words, -1L);
            return;
        }
        SplittableRandom random = new SplittableRandom(mix(seed, stream, site));
        int lowest = Long.numberOfTrailingZeros(threshold);
        for (int w = 0; w < words; w++) {
            long x = 0L;
            for (int bit = lowest; bit < 32; bit++) {
                long r = random.nextLong();
                x = ((threshold >>> bit) & 1L) != 0 ? (x | r) : (x & r);
            }
            dropped[w] = x;
        }
    }

    /** Turns a 0/1 keep mask (as in the tutorial's fixture) into the scaled mask {@code keep / (1 - p)}. */
    public static INDArray scale(INDArray keep, double p) {
        return keep.div(1.0 - p);
    }

    /** SplitMix64-style finaliser over the three keys, so nearby seeds and streams give unrelated masks. */
    static long mix(long seed, long stream, int site) {
        long z = seed * 0x9E3779B97F4A7C15L + stream;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L + site;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
