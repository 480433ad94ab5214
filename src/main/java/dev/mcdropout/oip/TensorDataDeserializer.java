package dev.mcdropout.oip;

import java.util.Arrays;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Reads an input's {@code data} from the token stream into one flat block ({@link TensorData}), keeping at
 * most {@code max-rows} rows of the model's width ({@link Bounds}, a reader attribute): a 16 MiB array of
 * numbers or of one-number rows costs no more memory than the request may use, and no boxed number is
 * made. Entries are judged as the protocol's checks judged the generic list they used to be bound to.
 */
final class TensorDataDeserializer extends ValueDeserializer<TensorData> {

    /** The model's width and the rows that may be kept. */
    record Bounds(int features, int maxRows) {
    }

    @Override
    public TensorData deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
        Bounds bounds = (Bounds) ctxt.getAttribute(Bounds.class);
        if (bounds == null) {
            throw new IllegalStateException("data is read with a Bounds attribute");
        }
        if (!p.isExpectedStartArrayToken()) {
            // as before: Jackson's own answer to a scalar or object where the array belongs
            List<?> list = ctxt.readValue(p, ctxt.getTypeFactory().constructCollectionType(List.class, Object.class));
            return list == null ? null : fromList(list, bounds);
        }
        int features = bounds.features();
        long cap = (long) bounds.maxRows() * features;
        double[] values = new double[(int) Math.min(cap, 4096)];
        JsonToken t = p.nextToken();
        boolean nested = t == JsonToken.START_ARRAY;
        TensorData.Problem problem = null;
        int i = 0;
        for (; t != JsonToken.END_ARRAY; t = p.nextToken(), i++) {
            if (nested) {
                if (t != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    problem = first(problem, TensorData.Kind.ROW, i, -1);
                    continue;
                }
                TensorData.Problem inRow = null;
                int j = 0;
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken(), j++) {
                    long at = (long) i * features + j;
                    TensorData.Kind kind = kind(p, e);
                    if (kind == null) {
                        // once an entry is bad the request is refused: nothing more is kept
                        if (j < features && at < cap && problem == null && inRow == null) {
                            values = store(values, at, p.getDoubleValue(), cap);
                        }
                    } else {
                        inRow = first(inRow, kind, i, j);
                    }
                }
                if (j != features) {
                    problem = first(problem, TensorData.Kind.ROW, i, -1);
                } else if (inRow != null) {
                    problem = first(problem, inRow.kind(), inRow.row(), inRow.column());
                }
            } else {
                TensorData.Kind kind = kind(p, t);
                if (kind == null) {
                    if (i < cap && problem == null) {
                        values = store(values, i, p.getDoubleValue(), cap);
                    }
                } else {
                    problem = first(problem, kind, i, -1);
                }
            }
        }
        return new TensorData(nested, i, values, problem);
    }

    /** Null for a finite number; else what the entry is (nested arrays and objects are skipped whole). */
    private static TensorData.Kind kind(JsonParser p, JsonToken t) {
        switch (t) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return Double.isFinite(p.getDoubleValue()) ? null : TensorData.Kind.NON_FINITE;
            }
            case VALUE_NULL -> {
                return TensorData.Kind.NULL;
            }
            case VALUE_STRING -> {
                return TensorData.Kind.STRING;
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return TensorData.Kind.BOOLEAN;
            }
            case START_ARRAY -> {
                p.skipChildren();
                return TensorData.Kind.ARRAY;
            }
            default -> {
                p.skipChildren();
                return TensorData.Kind.OTHER;
            }
        }
    }

    private static TensorData.Problem first(TensorData.Problem current, TensorData.Kind kind, int row, int column) {
        return current != null ? current : new TensorData.Problem(kind, row, column);
    }

    private static double[] store(double[] values, long at, double v, long cap) {
        if (at >= values.length) {
            values = Arrays.copyOf(values, (int) Math.min(cap, Math.max(at + 1, 2L * values.length)));
        }
        values[(int) at] = v;
        return values;
    }

    /** A list Jackson made of a non-array value (a single value accepted as an array, say). */
    private static TensorData fromList(List<?> list, Bounds bounds) {
        int features = bounds.features();
        long cap = (long) bounds.maxRows() * features;
        boolean nested = !list.isEmpty() && list.get(0) instanceof List<?>;
        double[] values = new double[0];
        TensorData.Problem problem = null;
        for (int i = 0; i < list.size(); i++) {
            Object entry = list.get(i);
            if (nested) {
                if (!(entry instanceof List<?> row) || row.size() != features) {
                    problem = first(problem, TensorData.Kind.ROW, i, -1);
                    continue;
                }
                for (int j = 0; j < features; j++) {
                    TensorData.Kind kind = kindOf(row.get(j));
                    if (kind == null && (long) i * features + j < cap) {
                        values = store(values, (long) i * features + j, ((Number) row.get(j)).doubleValue(), cap);
                    } else if (kind != null) {
                        problem = first(problem, kind, i, j);
                    }
                }
            } else {
                TensorData.Kind kind = kindOf(entry);
                if (kind == null && i < cap) {
                    values = store(values, i, ((Number) entry).doubleValue(), cap);
                } else if (kind != null) {
                    problem = first(problem, kind, i, -1);
                }
            }
        }
        return new TensorData(nested, list.size(), values, problem);
    }

    private static TensorData.Kind kindOf(Object value) {
        if (value instanceof Number n) {
            return Double.isFinite(n.doubleValue()) ? null : TensorData.Kind.NON_FINITE;
        }
        return value == null ? TensorData.Kind.NULL : value instanceof List ? TensorData.Kind.ARRAY
                : value instanceof String ? TensorData.Kind.STRING : value instanceof Boolean ? TensorData.Kind.BOOLEAN
                : TensorData.Kind.OTHER;
    }
}
