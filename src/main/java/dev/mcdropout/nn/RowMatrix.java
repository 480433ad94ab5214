package dev.mcdropout.nn;

import java.util.Arrays;

/**
 * Rows of raw feature values in one flat row-major block: row {@code i} is
 * {@code values[i * columns .. (i + 1) * columns)}. {@code values} may be longer than {@code rows * columns}
 * (a parser's buffer); what lies beyond is ignored. No per-row objects: a request's rows go from the JSON
 * parser to the engine in this one array.
 */
public record RowMatrix(double[] values, int rows, int columns) {

    public RowMatrix {
        if (rows < 0 || columns < 0 || (long) rows * columns > values.length) {
            throw new IllegalArgumentException(rows + " rows of " + columns + " do not fit " + values.length + " values");
        }
    }

    /** Rows held as Java arrays, copied into one block; every row must have {@code columns} values. */
    public static RowMatrix of(double[][] rows, int columns) {
        double[] values = new double[Math.multiplyExact(rows.length, columns)];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != columns) {
                throw new IllegalArgumentException("each row needs " + columns + " features, got " + rows[r].length);
            }
            System.arraycopy(rows[r], 0, values, r * columns, columns);
        }
        return new RowMatrix(values, rows.length, columns);
    }

    public double get(int row, int column) {
        return values[row * columns + column];
    }

    /** A copy of one row. */
    public double[] row(int row) {
        return Arrays.copyOfRange(values, row * columns, (row + 1) * columns);
    }
}
