package dev.mcdropout.nn;

/**
 * A feature value the network cannot compute with: standardised, it overflows the network's data type, so
 * every class score would be NaN. Says which row and feature ({@code -1} where not known).
 */
public final class InputOutOfRangeException extends IllegalArgumentException {
    private final int row;
    private final int feature;

    public InputOutOfRangeException(int row, int feature, String message) {
        super(message);
        this.row = row;
        this.feature = feature;
    }

    public int row() {
        return row;
    }

    public int feature() {
        return feature;
    }
}
