package dev.mcdropout.nn;

/**
 * The exponential for the softmax of every Monte Carlo pass, computed inline in Java: within 2 units in the
 * last place of {@link StrictMath#exp} (tested in {@code ExpTest}), at about half the cost of
 * {@link Math#exp}, whose compiled stub is called out of line once per score and was the largest single cost of
 * the statistics (ten exponentials per pass).
 *
 * <p>Tang's table-driven method (P. T. P. Tang, "Table-driven implementation of the exponential function in
 * IEEE floating-point arithmetic", ACM TOMS 15(2), 1989): with {@code k} the integer nearest
 * {@code x * 128 / ln 2}, {@code exp(x) = 2^(k / 128) * exp(r)} for {@code r = x - k ln2 / 128},
 * {@code |r| <= ln2 / 256}. {@code 2^(k / 128)} is {@code 2^(k >> 7)} (put straight into the exponent bits) times
 * a table entry {@code 2^(j / 128)}, {@code j = k & 127}; {@code exp(r) - 1} is its Taylor polynomial to
 * {@code r^5 / 120}, whose truncation error ({@code r^6 / 720 < 3e-20}) is far below one rounding. The integer
 * nearest is had by adding {@code 1.5 * 2^52}, which leaves it in the low bits of the sum. Outside
 * {@code (-700, 700)}, where the exponent would leave the normal range, and for NaN, it is {@link Math#exp}.
 */
final class Exp {

    private static final int TABLE_BITS = 7;
    private static final int TABLE = 1 << TABLE_BITS;
    /** Adding it rounds a double below 2^51 in magnitude to an integer, held in the low bits of the sum. */
    private static final double ROUNDER = 0x1.8p52;
    private static final double TABLE_OVER_LN2 = TABLE / Math.log(2.0);
    /** ln 2 / 128 in two parts: the first has enough trailing zero bits that {@code k} times it is exact. */
    private static final double LN2_OVER_TABLE_HI = 0x1.62e42fefa3800p-1 / TABLE;
    private static final double LN2_OVER_TABLE_LO = 0x1.ef35793c76730p-45 / TABLE;
    /**
     * The bits of {@code 2^(j / 128)} less {@code j << 45}: adding the rounded sum's bits shifted left by 45
     * then adds {@code (k >> 7) << 52}, the power of two, to the exponent field.
     */
    private static final long[] SCALE_BITS = new long[TABLE];

    static {
        for (int j = 0; j < TABLE; j++) {
            SCALE_BITS[j] = Double.doubleToRawLongBits(StrictMath.pow(2.0, (double) j / TABLE))
                    - ((long) j << (52 - TABLE_BITS));
        }
    }

    private Exp() {
    }

    /** {@code e^x}, within 2 ulps of {@link StrictMath#exp}; exactly 1 at 0. */
    static double exp(double x) {
        if (!(x > -700.0 && x < 700.0)) {
            return Math.exp(x);
        }
        double rounded = x * TABLE_OVER_LN2 + ROUNDER;
        long bits = Double.doubleToRawLongBits(rounded);
        double k = rounded - ROUNDER;
        double r = Math.fma(-k, LN2_OVER_TABLE_LO, Math.fma(-k, LN2_OVER_TABLE_HI, x));
        double scale = Double.longBitsToDouble(SCALE_BITS[(int) bits & (TABLE - 1)] + (bits << (52 - TABLE_BITS)));
        double r2 = r * r;
        double expm1 = r + r2 * (0.5 + r * (1.0 / 6.0) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
        return Math.fma(scale, expm1, scale);
    }
}
