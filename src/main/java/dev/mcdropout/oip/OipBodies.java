package dev.mcdropout.oip;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/** A tensor's {@code shape} as it is read: its first dimensions only ({@link OipDtos.InputBody}). */
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
}
