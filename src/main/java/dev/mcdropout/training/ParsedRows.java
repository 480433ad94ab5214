package dev.mcdropout.training;

import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.system.JsonNumbers;
import java.util.Arrays;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * A data set's feature rows as the parser left them (the {@code features} of training, evaluation and sweep
 * bodies): the rows in one flat block, as many as {@link Caps} allow, however many the request had. Bound to
 * {@code double[][]}, a 16 MiB body of {@code [0],[0],...} made four million row arrays (over 100 MiB of heap)
 * before the row limit was checked; read here, rows past {@code Caps#rows} and numbers past {@code Caps#width}
 * are counted and checked, never kept.
 *
 * <p>Every kept row has the width of the first one. The first row that is {@code null}, of another width or
 * wider than the cap is the <em>problem row</em>: its index and width are kept and nothing after it, since
 * every check of a data set (training's, evaluation's) refuses the request at that row at the latest. Rows
 * before it are kept whole, so checks that look at each row in order (numbers that are not finite) still see
 * them first. The checks are those that ran on {@code double[][]}, with the same answers.
 */
public final class ParsedRows {

    /**
     * How much the parser keeps: rows (at least every limit on rows a body is checked against) and numbers per
     * row (at least every limit on features, and every model's input width). Set on the application's JSON
     * mapper as a default attribute ({@code TrainingConfiguration}).
     */
    public record Caps(int rows, int width) {

        /** For mappers without the attribute: the limits' defaults (1,000,000 rows, 2^20 numbers per row). */
        static final Caps DEFAULTS = new Caps(1_000_000, 1 << 20);

        public Caps {
            if (rows < 1 || width < 1) {
                throw new IllegalArgumentException("rows and width must be >= 1");
            }
        }
    }

    /**
     * Documents property {@code features} of component {@code schema} as an array of rows of numbers (springdoc
     * writes a {@code ParsedRows} property as {@code double[][]}, replaced by class, but drops the property's own
     * description and example with the replacement, so they are set here).
     */
    public static org.springdoc.core.customizers.OpenApiCustomizer documented(String schema, String description,
                                                                              Object example) {
        return openApi -> {
            if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null
                    || openApi.getComponents().getSchemas().get(schema) == null) {
                return;
            }
            java.util.Map<String, io.swagger.v3.oas.models.media.Schema> properties =
                    openApi.getComponents().getSchemas().get(schema).getProperties();
            io.swagger.v3.oas.models.media.Schema<?> features = properties == null ? null : properties.get("features");
            if (features != null) {
                features.setDescription(description);
                if (example != null) {
                    features.setExample(example);
                }
            }
        };
    }

    private final Caps caps;
    private double[] values = new double[0];
    /** Width of the kept rows (the first row's), -1 before one is kept. */
    private int width = -1;
    private int kept;
    private int rows;
    private int problemRow = -1;
    /** Width of the problem row; -1: it is null. */
    private int problemWidth = -1;

    ParsedRows(Caps caps) {
        this.caps = caps;
    }

    /** Rows already held as arrays (a CSV upload), with the same view of them; nothing is capped. */
    public static ParsedRows of(double[][] rows) {
        ParsedRows parsed = new ParsedRows(new Caps(Math.max(1, rows.length), Integer.MAX_VALUE));
        for (double[] row : rows) {
            parsed.add(row);
        }
        return parsed;
    }

    /** Rows in the request, kept or not. */
    public int rows() {
        return rows;
    }

    /** Index of the first row that is null or not as wide as the first; -1 when there is none. */
    public int problemRow() {
        return problemRow;
    }

    /** Number of values in row {@code i} (at most the problem row); -1 for a null row. */
    public int width(int i) {
        if (i == problemRow) {
            return problemWidth;
        }
        if (i >= kept) {
            throw new IllegalStateException("row " + i + " was not kept (" + kept + " kept)");
        }
        return width;
    }

    /** Value {@code j} of kept row {@code i}. */
    public double get(int i, int j) {
        if (i >= kept) {
            throw new IllegalStateException("row " + i + " was not kept (" + kept + " kept)");
        }
        return values[i * width + j];
    }

    /** Whether every row was kept: no problem row and no more rows than the cap. */
    public boolean complete() {
        return problemRow < 0 && kept == rows;
    }

    /** The rows as one block; only when {@link #complete()}. */
    public RowMatrix matrix() {
        requireComplete();
        return new RowMatrix(values, kept, Math.max(width, 0));
    }

    /** The rows as arrays (what a {@code Dataset} is built from); only when {@link #complete()}. */
    public double[][] toArrays() {
        requireComplete();
        double[][] out = new double[kept][];
        for (int i = 0; i < kept; i++) {
            out[i] = Arrays.copyOfRange(values, i * width, (i + 1) * width);
        }
        return out;
    }

    private void requireComplete() {
        if (!complete()) {
            throw new IllegalStateException(rows + " rows, " + kept + " kept");
        }
    }

    private boolean keeping() {
        return problemRow < 0 && kept < caps.rows() && kept == rows;
    }

    /** Room for value {@code j} of the row being read, when it is kept; false when it is not. */
    private boolean room(int j) {
        int limit = width < 0 ? caps.width() : width;
        if (!keeping() || j >= limit) {
            return false;
        }
        long needed = (long) kept * limit + j + 1;
        if (needed > values.length) {
            long grown = Math.max(needed, Math.min((long) caps.rows() * limit, 2L * values.length));
            values = Arrays.copyOf(values, Math.toIntExact(Math.min(grown, Integer.MAX_VALUE - 8)));
        }
        return true;
    }

    private void put(int j, double v) {
        values[kept * (width < 0 ? 0 : width) + j] = v;
    }

    /** The row just read had {@code rowWidth} values (those in room were stored). */
    private void endRow(int rowWidth) {
        if (keeping()) {
            if (width < 0 ? rowWidth > caps.width() : rowWidth != width) {
                problem(rowWidth);
            } else {
                width = rowWidth;
                kept++;
            }
        }
        rows++;
    }

    private void nullRow() {
        if (keeping()) {
            problem(-1);
        }
        rows++;
    }

    private void problem(int rowWidth) {
        problemRow = rows;
        problemWidth = rowWidth;
    }

    private void add(double[] row) {
        if (row == null) {
            nullRow();
            return;
        }
        for (int j = 0; j < row.length && room(j); j++) {
            put(j, row[j]);
        }
        endRow(row.length);
    }

    /**
     * Reads {@code features} from the token stream. Numbers are read as the parser's doubles; any other token
     * goes to Jackson's own {@code double}, {@code double[]} or {@code double[][]} deserializer, so strings,
     * booleans, objects and nulls fail (or not) exactly as they did when the field was a {@code double[][]},
     * with the same messages and the same {@code features[i][j]} paths.
     */
    public static final class Deserializer extends ValueDeserializer<ParsedRows> {

        @Override
        public ParsedRows deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
            Object attribute = ctxt.getAttribute(Caps.class);
            ParsedRows parsed = new ParsedRows(attribute instanceof Caps caps ? caps : Caps.DEFAULTS);
            if (!p.isExpectedStartArrayToken()) {
                double[][] rows = ctxt.readValue(p, double[][].class);
                if (rows == null) {
                    return null;
                }
                for (double[] row : rows) {
                    parsed.add(row);
                }
                return parsed;
            }
            int i = 0;
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; i++) {
                try {
                    if (t == JsonToken.START_ARRAY) {
                        row(p, ctxt, parsed);
                    } else if (t == JsonToken.VALUE_NULL) {
                        parsed.nullRow();
                    } else {
                        parsed.add(ctxt.readValue(p, double[].class));
                    }
                } catch (JacksonException e) {
                    throw DatabindException.wrapWithPath(ctxt, e, new JacksonException.Reference(parsed, i));
                }
            }
            return parsed;
        }

        private static void row(JsonParser p, DeserializationContext ctxt, ParsedRows parsed) {
            int j = 0;
            try {
                for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; j++) {
                    double v = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT
                            ? p.getDoubleValue() : JsonNumbers.arrayElement(p, ctxt, t);
                    if (parsed.room(j)) {
                        parsed.put(j, v);
                    }
                }
            } catch (JacksonException e) {
                throw DatabindException.wrapWithPath(ctxt, e, new JacksonException.Reference(parsed, j));
            }
            parsed.endRow(j);
        }

        @Override
        public ParsedRows getNullValue(DeserializationContext ctxt) {
            return null;
        }
    }
}
