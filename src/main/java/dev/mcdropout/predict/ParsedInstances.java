package dev.mcdropout.predict;

import dev.mcdropout.nn.RowMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code instances} of a prediction as the parser left them: the first {@code storedRows} rows in one flat
 * block, however many rows the request had, and the first problems found in them, each with its kind.
 * Bounded by what the request may ask for ({@link RowLimits}): rows past the limit or numbers past a row's
 * width are counted and checked, never kept.
 */
public final class ParsedInstances {

    /** What is wrong with a row: it does not fit the model (422) or holds a value that is not finite (400). */
    public enum Kind { SHAPE, NUMBER }

    /** One problem, in request order. */
    public record RowProblem(Kind kind, String message) {
    }

    static final int MAX_PROBLEMS = 10;

    private final int features;
    private final int storeLimit;
    private double[] values;
    private int rows;
    private final List<RowProblem> problems = new ArrayList<>(2);

    ParsedInstances(int features, int storeLimit) {
        this.features = features;
        this.storeLimit = storeLimit;
        // room for a few rows to start with (one, for a wide model); more as they arrive
        this.values = new double[Math.min(storeLimit, Math.max(1, 4096 / features)) * features];
    }

    /** Rows in the request, kept or not. */
    public int rows() {
        return rows;
    }

    public int features() {
        return features;
    }

    /** The first up to ten problems, in the order of the rows. */
    public List<RowProblem> problems() {
        return problems;
    }

    /** The rows as one block; only when every row was kept ({@code rows() <= } the store limit). */
    public RowMatrix matrix() {
        if (rows > storeLimit) {
            throw new IllegalStateException(rows + " rows, only " + storeLimit + " kept");
        }
        return new RowMatrix(values, rows, features);
    }

    /**
     * Whether row {@code row} is kept; then its values go to {@link #slot(int)}. Once a row has a problem the
     * request will be refused, so nothing more is kept: a body of bad rows costs no memory at all.
     */
    boolean keeps(int row) {
        return row < storeLimit && problems.isEmpty();
    }

    /** The block with room for row {@code row}, grown by doubling up to the store limit. */
    double[] slot(int row) {
        long needed = (long) (row + 1) * features;
        if (needed > values.length) {
            long grown = Math.max(needed, Math.min((long) storeLimit * features, 2L * values.length));
            values = java.util.Arrays.copyOf(values, Math.toIntExact(grown));
        }
        return values;
    }

    void endRow() {
        rows++;
    }

    /** Whether another problem would still be reported: messages past the tenth are never built. */
    boolean wantsProblems() {
        return problems.size() < MAX_PROBLEMS;
    }

    void problem(Kind kind, String message) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(new RowProblem(kind, message));
        }
    }
}
