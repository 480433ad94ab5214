package dev.mcdropout.nn.artifact;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader and writer for the subset of NumPy's {@code .npy} format (versions 1.0 and 2.0, see
 * numpy/lib/format.py, "NEP 1") that model archives use: 1-D or 2-D arrays of little-endian float32
 * ({@code '<f4'}) or float64 ({@code '<f8'}), in C or Fortran order.
 *
 * <p>Why not ND4J's {@code Nd4j.createNpyFromByteArray}: it hands the bytes to native libnd4j code (a cnpy
 * derivative) that parses the header with C string handling and trusts the declared shape against the buffer
 * length. On bytes from an upload a malformed header or a shape larger than the data can make native code read
 * out of bounds, which crashes the JVM instead of throwing. Here every byte is checked in Java first, so a bad
 * file is always an {@link InvalidArtifactException} with a message, and only a validated float array reaches
 * ND4J.
 */
final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy itself refuses headers above 10000 bytes for the same reason (format._MAX_HEADER_SIZE). */
    private static final int MAX_HEADER_BYTES = 10_000;
    private static final int ALIGNMENT = 64;

    /** A parsed array: row-major (C order) float32 values and a 1-D or 2-D shape. */
    record NpyArray(int[] shape, float[] data, String dtype) {

        int rank() {
            return shape.length;
        }

        /** The index of the first NaN or infinite value, or -1. */
        int firstNonFinite() {
            for (int i = 0; i < data.length; i++) {
                if (!Float.isFinite(data[i])) {
                    return i;
                }
            }
            return -1;
        }

        String shapeString() {
            return shapeRepr(shape);
        }
    }

    private Npy() {
    }

    /**
     * Encodes float32 values in C order as a version 1.0 {@code .npy} file, byte for byte as numpy's
     * {@code np.save} would write them.
     */
    static byte[] write(float[] data, int... shape) {
        if (shape.length < 1 || shape.length > 2) {
            throw new IllegalArgumentException("only 1-D and 2-D arrays are written, got rank " + shape.length);
        }
        long count = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d);
            }
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + shapeRepr(shape) + " needs " + count + " values, got "
                    + data.length);
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeRepr(shape) + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padding = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
        String header = dict + " ".repeat(padding) + "\n";
        byte[] headerBytes = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + headerBytes.length + 4 * data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerBytes.length).put(headerBytes);
        out.asFloatBuffer().put(data);
        return out.array();
    }

    /**
     * Parses a {@code .npy} file, converting float64 to float32 (numpy's default dtype is float64, so arrays
     * saved by hand arrive that way). {@code what} names the array in error messages.
     */
    static NpyArray read(byte[] bytes, String what) {
        if (bytes.length < MAGIC.length + 4 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw invalid(what, "not a .npy file (it must start with \\x93NUMPY)");
        }
        int major = bytes[6] & 0xff;
        int minor = bytes[7] & 0xff;
        int headerLength;
        int headerStart;
        if (major == 1 && minor == 0) {
            headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
            headerStart = 10;
        } else if (major == 2 && minor == 0) {
            if (bytes.length < 12) {
                throw invalid(what, "the file ends inside its header");
            }
            long length = (bytes[8] & 0xffL) | (bytes[9] & 0xffL) << 8 | (bytes[10] & 0xffL) << 16
                    | (bytes[11] & 0xffL) << 24;
            if (length > MAX_HEADER_BYTES) {
                throw invalid(what, "header of " + length + " bytes is longer than " + MAX_HEADER_BYTES);
            }
            headerLength = (int) length;
            headerStart = 12;
        } else {
            throw invalid(what, ".npy format version " + major + "." + minor + " is not supported (use 1.0 or 2.0)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw invalid(what, "header of " + headerLength + " bytes is longer than " + MAX_HEADER_BYTES);
        }
        if (headerStart + headerLength > bytes.length) {
            throw invalid(what, "the file ends inside its header");
        }
        String header = new String(bytes, headerStart, headerLength, StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new HeaderParser(header, what).parse();

        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeValue = dict.get("shape");
        if (dict.size() != 3 || !(descr instanceof String) || !(fortran instanceof Boolean)
                || !(shapeValue instanceof int[])) {
            throw invalid(what, "header must hold exactly 'descr' (a string), 'fortran_order' (True or False) and "
                    + "'shape' (a tuple), got " + header.strip());
        }
        int itemSize = switch ((String) descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw invalid(what, "dtype '" + descr + "' is not supported; save the array as little-endian "
                    + "float32 '<f4' or float64 '<f8' (e.g. np.save(f, a.astype('<f4')))");
        };
        int[] shape = (int[]) shapeValue;
        if (shape.length < 1 || shape.length > 2) {
            throw invalid(what, "shape " + shapeRepr(shape) + " is not 1-D or 2-D");
        }
        long count = 1;
        for (int d : shape) {
            count *= d; // at most two factors below 2^31: fits in a long
        }
        long dataStart = headerStart + (long) headerLength;
        long actual = bytes.length - dataStart;
        // Compared as a count of values: count * itemSize could overflow for a hostile shape.
        if (actual % itemSize != 0 || count != actual / itemSize) {
            throw invalid(what, "shape " + shapeRepr(shape) + " needs " + count + " values of " + itemSize
                    + " bytes but the file has " + actual + " data bytes");
        }
        float[] data = new float[(int) count];
        ByteBuffer in = ByteBuffer.wrap(bytes, (int) dataStart, (int) actual).order(ByteOrder.LITTLE_ENDIAN);
        if (itemSize == 4) {
            in.asFloatBuffer().get(data);
        } else {
            for (int i = 0; i < data.length; i++) {
                // Out-of-range float64 values become infinite here and are refused by the finiteness check.
                data[i] = (float) in.getDouble();
            }
        }
        if ((Boolean) fortran && shape.length == 2) {
            data = fortranToC(data, shape[0], shape[1]);
        }
        return new NpyArray(shape, data, (String) descr);
    }

    private static float[] fortranToC(float[] columnMajor, int rows, int columns) {
        float[] rowMajor = new float[columnMajor.length];
        for (int j = 0; j < columns; j++) {
            for (int i = 0; i < rows; i++) {
                rowMajor[i * columns + j] = columnMajor[j * rows + i];
            }
        }
        return rowMajor;
    }

    static String shapeRepr(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(')').toString();
    }

    private static InvalidArtifactException invalid(String what, String message) {
        return new InvalidArtifactException(what + ": " + message);
    }

    /**
     * Parses the header, a Python dict literal such as {@code {'descr': '<f4', 'fortran_order': False,
     * 'shape': (3, 4), }} padded with spaces and ended by a newline. Only string keys and string, boolean and
     * integer-tuple values are accepted; anything else is refused rather than guessed at.
     */
    private static final class HeaderParser {
        private final String text;
        private final String what;
        private int pos;

        HeaderParser(String text, String what) {
            this.text = text;
            this.what = what;
        }

        Map<String, Object> parse() {
            if (text.isEmpty() || text.charAt(text.length() - 1) != '\n') {
                throw fail("header must end with a newline");
            }
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c > 0x7e || (c < 0x20 && c != '\n')) {
                    throw fail("header holds a non-printable character at offset " + i);
                }
            }
            Map<String, Object> dict = new LinkedHashMap<>();
            skipSpaces();
            expect('{');
            skipSpaces();
            while (peek() != '}') {
                String key = string();
                skipSpaces();
                expect(':');
                skipSpaces();
                Object value = value();
                if (dict.put(key, value) != null) {
                    throw fail("key '" + key + "' appears twice in the header");
                }
                skipSpaces();
                if (peek() == ',') {
                    pos++;
                    skipSpaces();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}' at offset " + pos);
                }
            }
            pos++;
            skipSpaces();
            if (pos != text.length() - 1) {
                throw fail("unexpected text after the header dict at offset " + pos);
            }
            return dict;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (text.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            throw fail("unsupported value at offset " + pos);
        }

        private int[] tuple() {
            expect('(');
            skipSpaces();
            int[] dims = new int[0];
            boolean comma = false;
            while (peek() != ')') {
                if (dims.length == 3) {
                    throw fail("shape has more than 2 dimensions");
                }
                dims = Arrays.copyOf(dims, dims.length + 1);
                dims[dims.length - 1] = integer();
                skipSpaces();
                comma = peek() == ',';
                if (comma) {
                    pos++;
                    skipSpaces();
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in the shape at offset " + pos);
                }
            }
            pos++;
            if (dims.length == 1 && !comma) {
                throw fail("shape '(" + dims[0] + ")' is not a tuple; numpy writes '(" + dims[0] + ",)'");
            }
            return dims;
        }

        private int integer() {
            int start = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos)) && pos - start <= 10) {
                pos++;
            }
            if (pos == start) {
                throw fail("expected a non-negative integer at offset " + start);
            }
            long value = Long.parseLong(text.substring(start, pos));
            if (value > Integer.MAX_VALUE) {
                throw fail("dimension " + value + " is too large");
            }
            return (int) value;
        }

        private String string() {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw fail("expected a quoted string at offset " + pos);
            }
            int end = text.indexOf(quote, pos + 1);
            if (end < 0) {
                throw fail("unterminated string at offset " + pos);
            }
            String s = text.substring(pos + 1, end);
            if (s.indexOf('\\') >= 0) {
                throw fail("escapes in header strings are not supported");
            }
            pos = end + 1;
            return s;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw fail("expected '" + c + "' at offset " + pos);
            }
            pos++;
        }

        private char peek() {
            if (pos >= text.length()) {
                throw fail("the header ends early");
            }
            return text.charAt(pos);
        }

        private void skipSpaces() {
            while (pos < text.length() && text.charAt(pos) == ' ') {
                pos++;
            }
        }

        private InvalidArtifactException fail(String message) {
            return invalid(what, "bad header: " + message);
        }
    }
}
