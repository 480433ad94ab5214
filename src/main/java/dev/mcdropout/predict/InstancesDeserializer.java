package dev.mcdropout.predict;

import dev.mcdropout.system.JsonNumbers;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Reads {@code instances} straight from the token stream into one flat block ({@link ParsedInstances}),
 * checking each row's width and each number as it arrives: a body of millions of one-number rows, or one
 * row of millions of numbers, allocates nothing beyond what the request may ask for ({@link RowLimits}).
 * Numbers are read as the parser's doubles; any other token goes to Jackson's own {@code double},
 * {@code double[]} or {@code double[][]} deserializer, so that strings, booleans and nulls fail (or not)
 * exactly as they did when the body was bound to {@code double[][]}, with the same messages and the same
 * {@code instances[i][j]} paths.
 */
final class InstancesDeserializer extends ValueDeserializer<ParsedInstances> {

    @Override
    public ParsedInstances deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
        RowLimits limits = (RowLimits) ctxt.getAttribute(RowLimits.class);
        if (limits == null) {
            throw new IllegalStateException("instances are read with a RowLimits attribute");
        }
        int features = limits.features();
        ParsedInstances parsed = new ParsedInstances(features, limits.storeLimit());
        if (!p.isExpectedStartArrayToken()) {
            // as before: Jackson's own answer to a string, number or object where the rows belong
            double[][] rows = ctxt.readValue(p, double[][].class);
            return rows == null ? null : fromArrays(rows, parsed);
        }
        // Indices as Jackson's array deserializers report them: the element being read when a read failed.
        int i = 0;
        for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; i++) {
            try {
                if (t == JsonToken.START_ARRAY) {
                    row(p, ctxt, parsed, i, features);
                } else if (t == JsonToken.VALUE_NULL) {
                    if (parsed.wantsProblems()) {
                        parsed.problem(ParsedInstances.Kind.SHAPE,
                                "instances[" + i + "] is null; each row must be an array of " + features + " numbers");
                    }
                    parsed.endRow();
                } else {
                    double[] row = ctxt.readValue(p, double[].class);
                    if (row == null) {
                        parsed.problem(ParsedInstances.Kind.SHAPE, "instances[" + i
                                + "] is null; each row must be an array of " + features + " numbers");
                        parsed.endRow();
                    } else {
                        rowOf(row, parsed, i, features);
                    }
                }
            } catch (JacksonException e) {
                throw DatabindException.wrapWithPath(ctxt, e, new JacksonException.Reference(parsed, i));
            }
        }
        return parsed;
    }

    /** One row from its START_ARRAY to its END_ARRAY. */
    private static void row(JsonParser p, DeserializationContext ctxt, ParsedInstances parsed, int i, int features) {
        boolean keep = parsed.keeps(i);
        double[] block = keep ? parsed.slot(i) : null;
        int base = i * features;
        int firstNonFinite = -1;
        int j = 0;
        try {
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; j++) {
                double v = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT
                        ? p.getDoubleValue() : JsonNumbers.arrayElement(p, ctxt, t);
                if (keep && j < features) {
                    block[base + j] = v;
                }
                if (firstNonFinite < 0 && !Double.isFinite(v)) {
                    firstNonFinite = j;
                }
            }
        } catch (JacksonException e) {
            throw DatabindException.wrapWithPath(ctxt, e, new JacksonException.Reference(parsed, j));
        }
        endRow(parsed, i, features, j, firstNonFinite);
    }

    private static void rowOf(double[] row, ParsedInstances parsed, int i, int features) {
        int firstNonFinite = -1;
        double[] block = parsed.keeps(i) ? parsed.slot(i) : null;
        for (int j = 0; j < row.length; j++) {
            if (block != null && j < features) {
                block[i * features + j] = row[j];
            }
            if (firstNonFinite < 0 && !Double.isFinite(row[j])) {
                firstNonFinite = j;
            }
        }
        endRow(parsed, i, features, row.length, firstNonFinite);
    }

    /** A row's problem, as the checks after binding reported it: its width first, then its first bad number. */
    private static void endRow(ParsedInstances parsed, int i, int features, int width, int firstNonFinite) {
        if (!parsed.wantsProblems()) {
            parsed.endRow();
            return;
        }
        if (width != features) {
            parsed.problem(ParsedInstances.Kind.SHAPE,
                    "instances[" + i + "] has " + width + " features, the model expects " + features);
        } else if (firstNonFinite >= 0) {
            parsed.problem(ParsedInstances.Kind.NUMBER, "instances[" + i + "][" + firstNonFinite + "] is not a finite number");
        }
        parsed.endRow();
    }

    private static ParsedInstances fromArrays(double[][] rows, ParsedInstances parsed) {
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                parsed.problem(ParsedInstances.Kind.SHAPE, "instances[" + i + "] is null; each row must be an array of "
                        + parsed.features() + " numbers");
                parsed.endRow();
            } else {
                rowOf(rows[i], parsed, i, parsed.features());
            }
        }
        return parsed;
    }
}
