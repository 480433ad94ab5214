package dev.mcdropout.oip;

/**
 * The {@code data} of an inference request's input as the parser left it: how many entries it had, whether
 * they were rows (nested) or numbers (flat), the numbers of the first rows in one flat block (at most
 * {@code max-rows} rows of the model's width; the rest is counted, not kept) and the first entry that is
 * not what it should be, in row-major order.
 */
final class TensorData {

    /** What an entry that is not a finite number was. */
    enum Kind {
        NULL("null"), ARRAY("an array"), STRING("a string"), BOOLEAN("a boolean"), OTHER("not a number"),
        NON_FINITE(null), ROW(null);

        final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    /** The first bad entry: {@code data[row]} (flat, or a bad row) or {@code data[row][column]}. */
    record Problem(Kind kind, int row, int column) {
    }

    final boolean nested;
    final int size;
    final double[] values;
    final Problem problem;

    TensorData(boolean nested, int size, double[] values, Problem problem) {
        this.nested = nested;
        this.size = size;
        this.values = values;
        this.problem = problem;
    }
}
