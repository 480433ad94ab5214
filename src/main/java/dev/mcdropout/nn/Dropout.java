package dev.mcdropout.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout masks (Srivastava et al. 2014, as in the seed tutorial): a unit is kept with probability
 * {@code 1 - p} and kept units are scaled by {@code 1 / (1 - p)}, so no rescaling is needed at test time.
 *
 * <p>One generator, {@link #dropBits}, draws every mask, in training and in prediction. Its random words
 * are those of a {@code java.util.SplittableRandom} (Steele, Lea and Flood 2014) seeded with a key that is a pure function
 * of what the mask belongs to, never of a thread, a chunk or a position in a batch:
 * <ul>
 *   <li>in Monte Carlo prediction, {@code (seed, sample, site, row key)}, the row key being a hash of the
 *       row's own feature values ({@link #rowKey}), so a row draws the same masks whichever rows share its
 *       request and identical rows draw identical masks;</li>
 *   <li>in training, {@code (seed, step, site)} for a whole mini-batch.</li>
 *   <li>DropConnect's masks over a layer's weights (Wan et al. 2013) are keyed like a whole mini-batch's:
 *       {@code (seed, sample, weight site)} in Monte Carlo prediction, one mask per sample shared by every row
 *       of it, and {@code (seed, step, weight site)} in training. The weight site of layer {@code i} is
 *       {@code -1 - i} ({@link #weightSite}), a number unit dropout never uses, so a weight mask and a unit
 *       mask never share a key.</li>
 * </ul>
 * Each input passes through the SplitMix64 finaliser before it is combined with the others, so no linear
 * relation between inputs (seed {@code s} sample {@code t + 1} against seed {@code s + G^-1} sample
 * {@code t}) can give two keys the same value.
 */
public final class Dropout {

    /** SplittableRandom's default gamma: the odd integer nearest 2^64 / golden ratio. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** Golden-ratio increments, one per key input, so that equal inputs in different places differ. */
    private static final long SEED_SALT = 0x9E3779B97F4A7C15L;
    private static final long STREAM_SALT = 0xC2B2AE3D27D4EB4FL;
    private static final long SITE_SALT = 0x165667B19E3779F9L;
    private static final long ROW_SALT = 0xD6E8FEB86659FD93L;

    private Dropout() {
    }

    /**
     * Scaled mask of shape [rows, cols] for one mini-batch: each entry is {@code 1 / (1 - p)} (kept) or 0
     * (dropped), drawn by {@link #dropBits} from {@code (seed, stream, site)}. Returns null when {@code p == 0},
     * meaning "no dropout here".
     */
    public static INDArray scaledMask(long seed, long stream, int site, int rows, int cols, double p, DataType type) {
        if (p == 0.0) {
            return null;
        }
        int units = Math.multiplyExact(rows, cols);
        long[] dropped = new long[words(units)];
        dropBits(dropped, 0, units, key(seed, stream, site), p);
        float scale = (float) (1.0 / (1.0 - p));
        float[] values = new float[units];
        for (int k = 0; k < units; k++) {
            values[k] = ((dropped[k >>> 6] >>> k) & 1L) == 0 ? scale : 0f;
        }
        INDArray mask = Nd4j.create(values, new long[] {rows, cols}, DataType.FLOAT);
        return type == DataType.FLOAT ? mask : mask.castTo(type);
    }

    /**
     * Checks a dropout probability: {@code p} is the probability of dropping a unit, in [0, 1) (1 would drop
     * every unit and make the inverted-dropout scale infinite).
     */
    public static void checkProbability(String name, double p) {
        if (!(p >= 0.0 && p < 1.0)) {
            throw new IllegalArgumentException(name + " is the probability of dropping a unit and must be in [0, 1), got "
                    + p);
        }
    }

    /** 64-bit words needed for {@code units} drop bits. */
    public static int words(int units) {
        return (units + 63) >>> 6;
    }

    /**
     * Drop decisions for {@code units} units as bits in {@code dropped[offset ..]}, 64 units a word (bit set =
     * dropped), each unit dropped with probability {@code ceil(p * 2^32) / 2^32}, a pure function of
     * {@code key}.
     *
     * <p>The words are built bit-parallel from the binary expansion of that probability: starting from
     * all-zero, each 1 bit of the threshold (least significant first) ORs in a fresh random word and each 0
     * bit ANDs one in, which leaves every bit set with probability exactly {@code threshold / 2^32}. Trailing
     * zero bits cost nothing, so p = 1/2 takes one random word per 64 units instead of 32. Bits past
     * {@code units} in the last word are drawn too and mean nothing.
     */
    public static void dropBits(long[] dropped, int offset, int units, long key, double p) {
        dropBitsBelow(dropped, offset, units, key, threshold(p));
    }

    /** {@code ceil(p * 2^32)}: {@link #dropBits} drops a unit with probability {@code threshold / 2^32}. */
    static long threshold(double p) {
        return (long) Math.ceil(p * 4294967296.0);
    }

    /**
     * {@link #dropBits} with the probability given as its {@link #threshold}, worked out once by a caller that
     * draws many rows' bits with one probability.
     */
    static void dropBitsBelow(long[] dropped, int offset, int units, long key, long threshold) {
        int words = words(units);
        if (threshold == 0) {
            Arrays.fill(dropped, offset, offset + words, 0L);
            return;
        }
        if (threshold >= 1L << 32) {
            Arrays.fill(dropped, offset, offset + words, -1L);
            return;
        }
        // SplittableRandom(key).nextLong(), inline: the state steps by the golden gamma and each word is its
        // SplitMix64 finalisation. The same words, without an object per row and sample on the hot path.
        long state = key;
        int lowest = Long.numberOfTrailingZeros(threshold);
        for (int w = 0; w < words; w++) {
            long x = 0L;
            for (int bit = lowest; bit < 32; bit++) {
                long r = mix(state += GOLDEN_GAMMA);
                x = ((threshold >>> bit) & 1L) != 0 ? (x | r) : (x & r);
            }
            dropped[offset + w] = x;
        }
    }

    /** Key of a mini-batch's mask in training: {@code (seed, step, site)}. */
    public static long key(long seed, long stream, int site) {
        return mix(mix(mix(seed + SEED_SALT) ^ mix(stream + STREAM_SALT)) ^ mix(site + SITE_SALT));
    }

    /** The site number of layer {@code layer}'s DropConnect mask: -1, -2, ..., never a unit dropout site. */
    public static int weightSite(int layer) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        return -1 - layer;
    }

    /**
     * Key of layer {@code layer}'s DropConnect mask in one Monte Carlo sample: {@code (seed, sample, weight
     * site)}, the same for every row of the sample.
     */
    public static long weightKey(long seed, long sample, int layer) {
        return key(seed, sample, weightSite(layer));
    }

    /** Key of one row's mask in one Monte Carlo sample: {@code (seed, sample, site, row key)}. */
    public static long key(long seed, long sample, int site, long rowKey) {
        return rowMaskKey(key(seed, sample, site), rowKey);
    }

    /** {@link #key(long, long, int, long)} from its shared part {@code key(seed, sample, site)}. */
    static long rowMaskKey(long sampleSiteKey, long rowKey) {
        return mix(sampleSiteKey ^ mix(rowKey + ROW_SALT));
    }

    /**
     * A 64-bit hash of one row's feature values as the network computes with them (float32 bits for a FLOAT
     * network, float64 bits for a DOUBLE one), with -0 taken as +0: rows the network cannot tell apart get
     * the same key. Each step below is a bijection of the running hash for a fixed value and of the value
     * for a fixed hash, so rows that differ in one value never share a key; the final mix spreads any
     * difference over all 64 bits.
     */
    public static long rowKey(double[] row, DataType type) {
        return rowKey(row, 0, row.length, type);
    }

    /** {@link #rowKey(double[], DataType)} of the row {@code values[from .. from + length)}. */
    public static long rowKey(double[] values, int from, int length, DataType type) {
        long h = length;
        boolean single = type == DataType.FLOAT;
        for (int i = from, end = from + length; i < end; i++) {
            h = rowKeyStep(h, valueBits(values[i], single));
        }
        return mix(h);
    }

    /**
     * {@link #rowKey(double[], int, int, DataType)} of each of the {@code rows} rows of {@code length} values in
     * {@code values} into {@code keys}. A row's hash is a chain in which each step waits for the previous one's
     * multiplication, so four rows are hashed side by side: four independent chains keep the multiplier busy
     * where one leaves it idle most of the time. The keys are exactly those of {@code rowKey}.
     */
    static void rowKeys(double[] values, int rows, int length, DataType type, long[] keys) {
        boolean single = type == DataType.FLOAT;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a = r * length;
            int b = a + length;
            int c = b + length;
            int d = c + length;
            long h0 = length;
            long h1 = length;
            long h2 = length;
            long h3 = length;
            for (int j = 0; j < length; j++) {
                h0 = rowKeyStep(h0, valueBits(values[a + j], single));
                h1 = rowKeyStep(h1, valueBits(values[b + j], single));
                h2 = rowKeyStep(h2, valueBits(values[c + j], single));
                h3 = rowKeyStep(h3, valueBits(values[d + j], single));
            }
            keys[r] = mix(h0);
            keys[r + 1] = mix(h1);
            keys[r + 2] = mix(h2);
            keys[r + 3] = mix(h3);
        }
        for (; r < rows; r++) {
            keys[r] = rowKey(values, r * length, length, type);
        }
    }

    /** A value's bits as the network computes with it, -0 taken as +0. */
    private static long valueBits(double v, boolean single) {
        return single ? Float.floatToIntBits((float) v + 0f) & 0xFFFFFFFFL : Double.doubleToLongBits(v + 0.0);
    }

    /** One step of the row hash: a bijection of {@code h} for fixed bits and of the bits for a fixed {@code h}. */
    private static long rowKeyStep(long h, long bits) {
        return Long.rotateLeft(h ^ (bits * 0x9FB21C651E98DF25L), 29) * 0xBF58476D1CE4E5B9L;
    }

    /** Turns a 0/1 keep mask (as in the tutorial's fixture) into the scaled mask {@code keep / (1 - p)}. */
    public static INDArray scale(INDArray keep, double p) {
        return keep.div(1.0 - p);
    }

    /** The SplitMix64 finaliser (Steele et al. 2014, variant 13 of Stafford's): a bijection of 64-bit values. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
