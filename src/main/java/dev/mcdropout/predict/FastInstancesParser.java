package dev.mcdropout.predict;

import tools.jackson.core.io.NumberInput;

/**
 * The common body of {@code POST /predict}, {@code {"instances": [[n, n, ...], ...]}}, read straight from its
 * bytes into one block: no tokens, no text buffer, and most numbers converted without a library call. It
 * accepts only what it can answer exactly as the Jackson path ({@link InstancesDeserializer}) would: one
 * property {@code instances} (no escapes), rows of exactly the model's width, at most the store limit of
 * them, finite JSON numbers and JSON whitespace, nothing after the object. Anything else (another property,
 * a string, a null, a row of the wrong width, a malformed number, a BOM) returns {@code null}, and the caller
 * parses the same bytes with Jackson, which then answers, or words the error, exactly as it always has.
 *
 * <p>Numbers get the value Jackson gives them: an integer token is converted from its {@code long}
 * ({@code -0} is 0.0); a fraction or exponent is the correctly rounded double, computed exactly when the
 * significand is at most 2^53 and the power of ten is at most 22 (Clinger 1990: both are exact doubles,
 * so one IEEE multiplication or division rounds correctly), and otherwise by Jackson's own fast parser
 * ({@link NumberInput#parseDouble(char[], int, int, boolean)}), which is what its token path calls.
 */
final class FastInstancesParser {

    /** Bodies up to this size are read into memory and parsed here; larger ones stream through Jackson. */
    static final int MAX_BODY = 1 << 20;

    private static final byte[] KEY = "\"instances\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Powers of ten that are exact doubles (10^22 < 2^53 * 2^22 is the largest). */
    private static final double[] EXACT_POWERS = new double[23];

    static {
        double p = 1.0;
        for (int i = 0; i < EXACT_POWERS.length; i++) {
            EXACT_POWERS[i] = p;
            p *= 10.0;
        }
    }

    /** Integers up to 2^53 are exact doubles. */
    private static final long MAX_EXACT = 1L << 53;

    /** Longest number text handed to the slow conversion; longer ones go to Jackson (which limits them). */
    private static final int MAX_NUMBER_CHARS = 64;

    private final byte[] in;
    private final int end;
    private int pos;
    private final char[] scratch = new char[MAX_NUMBER_CHARS];

    private FastInstancesParser(byte[] in, int length) {
        this.in = in;
        this.end = length;
    }

    /** The rows of {@code body[0, length)}, or null where the Jackson path must decide. */
    static ParsedInstances parse(byte[] body, int length, RowLimits limits) {
        return new FastInstancesParser(body, length).instances(limits);
    }

    private ParsedInstances instances(RowLimits limits) {
        int features = limits.features();
        if (!skip('{') || !key() || !skip(':') || !skip('[')) {
            return null;
        }
        ParsedInstances parsed = new ParsedInstances(features, limits.storeLimit());
        if (peek() == ']') {
            return null; // no rows: the Jackson path's answer
        }
        for (int row = 0; ; row++) {
            if (row >= limits.storeLimit() || !skip('[')) {
                return null;
            }
            double[] block = parsed.slot(row);
            int base = row * features;
            for (int j = 0; ; j++) {
                if (j >= features) {
                    return null;
                }
                whitespace();
                double v = number();
                if (Double.isNaN(v) || Double.isInfinite(v)) {
                    return null; // also the "not a number" marker below
                }
                block[base + j] = v;
                whitespace();
                if (pos >= end) {
                    return null;
                }
                byte b = in[pos++];
                if (b == ']') {
                    if (j + 1 != features) {
                        return null;
                    }
                    break;
                }
                if (b != ',') {
                    return null;
                }
            }
            parsed.endRow();
            whitespace();
            if (pos >= end) {
                return null;
            }
            byte b = in[pos++];
            if (b == ']') {
                break;
            }
            if (b != ',') {
                return null;
            }
        }
        if (!skip('}')) {
            return null;
        }
        whitespace();
        return pos == end ? parsed : null;
    }

    /** JSON whitespace (RFC 8259: space, tab, line feed, carriage return). */
    private void whitespace() {
        while (pos < end) {
            byte b = in[pos];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return;
            }
            pos++;
        }
    }

    private int peek() {
        whitespace();
        return pos < end ? in[pos] : -1;
    }

    /** Whitespace, then {@code c}. */
    private boolean skip(char c) {
        whitespace();
        if (pos < end && in[pos] == c) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean key() {
        whitespace();
        if (end - pos < KEY.length) {
            return false;
        }
        for (int i = 0; i < KEY.length; i++) {
            if (in[pos + i] != KEY[i]) {
                return false;
            }
        }
        pos += KEY.length;
        return true;
    }

    /** A JSON number at {@code pos}, or NaN where the text is not one this parser converts. */
    private double number() {
        // locals rather than fields in the loops: this is where a body's bytes are spent
        final byte[] b = in;
        final int end = this.end;
        final int start = pos;
        int p = start;
        boolean negative = false;
        if (p < end && b[p] == '-') {
            negative = true;
            p++;
        }
        if (p >= end) {
            return Double.NaN;
        }
        long significand = 0;
        int digits = 0; // significant digits, leading zeros excluded
        if (b[p] == '0') {
            p++;
        } else if (b[p] >= '1' && b[p] <= '9') {
            for (int d; p < end && (d = b[p] - '0') >= 0 && d <= 9; p++) {
                if (digits < 18) {
                    significand = significand * 10 + d;
                }
                digits++;
            }
        } else {
            return Double.NaN;
        }
        int integerDigits = digits;
        boolean integer = true;
        int fractionDigits = 0;
        if (p < end && b[p] == '.') {
            integer = false;
            int first = ++p;
            for (int d; p < end && (d = b[p] - '0') >= 0 && d <= 9; p++) {
                if (digits > 0 || d != 0) {
                    if (digits < 18) {
                        significand = significand * 10 + d;
                        fractionDigits = p - first + 1;
                    }
                    digits++;
                }
            }
            if (p == first) {
                return Double.NaN;
            }
        }
        int exponent = 0;
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            integer = false;
            p++;
            boolean negativeExponent = false;
            if (p < end && (b[p] == '+' || b[p] == '-')) {
                negativeExponent = b[p] == '-';
                p++;
            }
            int first = p;
            for (int d; p < end && (d = b[p] - '0') >= 0 && d <= 9; p++) {
                if (p - first < 6) {
                    exponent = exponent * 10 + d;
                }
            }
            if (p == first || p - first > 6) {
                return Double.NaN;
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        pos = p;
        int length = pos - start;
        if (integer) {
            // Jackson reads an integer token as an int or long, then converts it; past 18 digits, a BigInteger
            return integerDigits <= 18 ? (double) (negative ? -significand : significand) : Double.NaN;
        }
        int power = exponent - fractionDigits;
        if (digits <= 18 && significand <= MAX_EXACT && power >= -22 && power <= 22) {
            double v = power >= 0 ? significand * EXACT_POWERS[power] : significand / EXACT_POWERS[-power];
            return negative ? -v : v;
        }
        if (length > MAX_NUMBER_CHARS) {
            return Double.NaN;
        }
        for (int i = 0; i < length; i++) {
            scratch[i] = (char) in[start + i];
        }
        return NumberInput.parseDouble(scratch, 0, length, true);
    }
}
