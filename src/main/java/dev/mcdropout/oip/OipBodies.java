package dev.mcdropout.oip;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Parts of an inference request as they are read, bounded: a tensor's {@code shape} (its first dimensions
 * only, {@link OipDtos.InputBody}) and {@code parameters} (only the ones the service reads).
 */
final class OipBodies {

    private OipBodies() {
    }

    /** A tensor shape: its first {@link #KEPT} dimensions and how many it had. */
    static final class Shape extends AbstractList<Long> {

        static final int KEPT = 8;

        private final List<Long> kept;
        private final int size;

        Shape(List<Long> kept, int size) {
            this.kept = kept;
            this.size = size;
        }

        @Override
        public Long get(int index) {
            if (index >= kept.size() && index < size) {
                throw new UnsupportedOperationException("dimension " + index + " of " + size + " was not kept");
            }
            return kept.get(index);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public String toString() {
            return size <= KEPT ? kept.toString()
                    : kept.toString().replaceFirst("]$", ", ... (" + size + " dimensions)]");
        }
    }

    /** Each dimension as Jackson's own {@code Long} reads it (so "2" or 1.5 fail as before); only the first few kept. */
    static final class ShapeDeserializer extends ValueDeserializer<Shape> {

        @Override
        public Shape deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
            if (!p.isExpectedStartArrayToken()) {
                List<?> list = ctxt.readValue(p, ctxt.getTypeFactory().constructCollectionType(List.class, Long.class));
                if (list == null) {
                    return null;
                }
                List<Long> kept = new ArrayList<>();
                for (Object o : list.subList(0, Math.min(Shape.KEPT, list.size()))) {
                    kept.add((Long) o);
                }
                return new Shape(kept, list.size());
            }
            List<Long> kept = new ArrayList<>(2);
            int n = 0;
            try {
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), n++) {
                    Long dimension = t == JsonToken.VALUE_NULL ? null : ctxt.readValue(p, Long.class);
                    if (n < Shape.KEPT) {
                        kept.add(dimension);
                    }
                }
            } catch (JacksonException e) {
                throw tools.jackson.databind.DatabindException.wrapWithPath(ctxt, e,
                        new JacksonException.Reference(kept, n));
            }
            return new Shape(kept, n);
        }
    }

    /**
     * {@code outputs} as read: the entries that decide the answer ({@link OipRequests#outputs}), each with its place
     * in the request, and how many the request had. Repeats of a name already kept say nothing new, and once a
     * nameless entry or more distinct names than any model produces have been kept, the answer is an error at or
     * before it; so those are read and dropped. Bound to {@code List<RequestOutput>}, 16 MiB of
     * {@code {"name":"predicted_class"},} made a million records before anything was checked.
     */
    record Outputs(List<Entry> kept, int count) {

        record Entry(int index, OipDtos.RequestOutput output) {
        }
    }

    static final class OutputsDeserializer extends ValueDeserializer<Outputs> {

        @Override
        public Outputs deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
            if (!p.isExpectedStartArrayToken()) {
                // Not an array: Jackson's own answer for a list (an error, or null), as before.
                List<?> list = ctxt.readValue(p, ctxt.getTypeFactory().constructCollectionType(List.class,
                        OipDtos.RequestOutput.class));
                if (list == null) {
                    return null;
                }
                List<Outputs.Entry> all = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    all.add(new Outputs.Entry(i, (OipDtos.RequestOutput) list.get(i)));
                }
                return new Outputs(all, all.size());
            }
            List<Outputs.Entry> kept = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            boolean open = true;
            int n = 0;
            try {
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), n++) {
                    OipDtos.RequestOutput output = t == JsonToken.VALUE_NULL ? null
                            : ctxt.readValue(p, OipDtos.RequestOutput.class);
                    if (!open) {
                        continue;
                    }
                    if (output == null || output.name() == null) {
                        kept.add(new Outputs.Entry(n, output));
                        open = false;
                    } else if (names.add(output.name())) {
                        kept.add(new Outputs.Entry(n, output));
                        open = names.size() <= OipController.OUTPUTS.size();
                    }
                }
            } catch (JacksonException e) {
                throw tools.jackson.databind.DatabindException.wrapWithPath(ctxt, e,
                        new JacksonException.Reference(kept, n));
            }
            return new Outputs(kept, n);
        }
    }

    /** The parameters the service reads ({@code mc_samples}, {@code seed}); every other one is skipped unread. */
    static final java.util.Set<String> READ_PARAMETERS = java.util.Set.of("mc_samples", "seed");

    /**
     * {@code parameters} (of the request, of an input, of an output) as a map of the parameters the service reads;
     * the values of all others are skipped token by token, never built. Bound to {@code Map<String, Object>}, a
     * 16 MiB {@code "parameters": {"x": [0,0,...]}} made eight million boxed numbers before anything was checked.
     * A value read is what Jackson's untyped deserializer makes of a scalar; an array or object, which the
     * service refuses anyway, is kept as the beginning of its {@code String.valueOf} text, as much as an error
     * message shows of it ({@link OipController#abbreviate}), so every answer is the one it was.
     */
    static final class ParametersDeserializer extends ValueDeserializer<java.util.Map<String, Object>> {

        /** One character more than {@link OipController#abbreviate} shows, so that it still abbreviates. */
        private static final int SHOWN = 81;

        @Override
        public java.util.Map<String, Object> deserialize(JsonParser p, DeserializationContext ctxt)
                throws JacksonException {
            if (!p.isExpectedStartObjectToken()) {
                return ctxt.readValue(p, ctxt.getTypeFactory().constructMapType(java.util.Map.class,
                        String.class, Object.class));
            }
            java.util.Map<String, Object> read = new java.util.LinkedHashMap<>();
            for (String name = p.nextName(); name != null; name = p.nextName()) {
                JsonToken t = p.nextToken();
                if (READ_PARAMETERS.contains(name)) {
                    read.put(name, value(p, t));
                } else {
                    p.skipChildren();
                }
            }
            return read;
        }

        private static Object value(JsonParser p, JsonToken t) {
            return switch (t) {
                case VALUE_STRING -> p.getString();
                case VALUE_NUMBER_INT -> p.getNumberValue();
                case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> {
                    StringBuilder shown = new StringBuilder();
                    render(p, t, shown);
                    yield new Shown(shown.toString());
                }
            };
        }

        /**
         * Appends {@code String.valueOf} of the container starting at {@code t} as Jackson's untyped deserializer
         * builds it ({@code [a, b]}, {@code {k=v}}), up to {@link #SHOWN} characters; the rest is only read.
         */
        private static void render(JsonParser p, JsonToken t, StringBuilder out) {
            if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
                boolean object = t == JsonToken.START_OBJECT;
                append(out, object ? "{" : "[");
                boolean first = true;
                for (JsonToken next = p.nextToken(); next != JsonToken.END_ARRAY && next != JsonToken.END_OBJECT;
                     next = p.nextToken()) {
                    if (!first) {
                        append(out, ", ");
                    }
                    first = false;
                    if (object) {
                        if (out.length() <= SHOWN) {
                            append(out, p.currentName() + "=");
                        }
                        next = p.nextToken();
                    }
                    render(p, next, out);
                }
                append(out, object ? "}" : "]");
            } else if (out.length() <= SHOWN) {
                append(out, String.valueOf(value(p, t)));
            }
        }

        private static void append(StringBuilder out, String text) {
            if (out.length() <= SHOWN) {
                out.append(text, 0, Math.min(text.length(), SHOWN + 1 - out.length()));
            }
        }
    }

    /** An array or object parameter value, as much of its text as an error message shows. */
    record Shown(String text) {
        @Override
        public String toString() {
            return text;
        }
    }
}
