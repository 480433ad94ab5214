package dev.mcdropout.training;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * A data set's {@code labels} as the parser left them: {@link #size()} is how many the request had, and the first
 * {@link ParsedRows.Caps#rows()} are kept (each distinct label once, however often it repeats). Bound to a
 * {@code List<String>}, a 16 MiB body of {@code "a","a",...} made millions of strings before the row limit was
 * checked; every check of a data set refuses more labels than that cap by their count alone.
 */
final class ParsedLabels extends AbstractList<String> {

    private final List<String> kept;
    private final int size;

    private ParsedLabels(List<String> kept, int size) {
        this.kept = kept;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public String get(int index) {
        if (index >= kept.size()) {
            throw new IllegalStateException("label " + index + " was not kept (" + kept.size() + " of " + size + ")");
        }
        return kept.get(index);
    }

    /**
     * Reads {@code labels}: strings and nulls directly, any other token through Jackson's own {@code String}
     * deserializer (so a number fails as it did for a {@code List<String>}, with the same {@code labels[i]} path);
     * a value that is not an array goes to Jackson's {@code List<String>} deserializer whole.
     */
    public static final class Deserializer extends ValueDeserializer<List<String>> {

        @Override
        public List<String> deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
            Object attribute = ctxt.getAttribute(ParsedRows.Caps.class);
            int cap = attribute instanceof ParsedRows.Caps caps ? caps.rows() : ParsedRows.Caps.DEFAULTS.rows();
            if (!p.isExpectedStartArrayToken()) {
                List<String> whole = ctxt.readValue(p,
                        ctxt.getTypeFactory().constructCollectionType(List.class, String.class));
                return whole == null ? null : new ParsedLabels(whole, whole.size());
            }
            List<String> kept = new ArrayList<>();
            Map<String, String> distinct = new HashMap<>();
            int i = 0;
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; i++) {
                String label;
                try {
                    label = t == JsonToken.VALUE_NULL ? null
                            : t == JsonToken.VALUE_STRING ? p.getString() : ctxt.readValue(p, String.class);
                } catch (JacksonException e) {
                    throw DatabindException.wrapWithPath(ctxt, e, new JacksonException.Reference(kept, i));
                }
                if (i < cap) {
                    kept.add(label == null ? null : distinct.computeIfAbsent(label, l -> l));
                }
            }
            return new ParsedLabels(kept, i);
        }
    }
}
