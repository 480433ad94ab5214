package dev.mcdropout.system;

import tools.jackson.core.JacksonException;

/**
 * Where and why a JSON value was rejected, in words a client can act on. Used by the problem advice for
 * request bodies and by features that parse JSON themselves (a multipart form's JSON part), so both name
 * the offending field the same way.
 */
public final class JsonErrors {

    private JsonErrors() {
    }

    /** {@code instances[0][3]} or {@code dropout[1]} from Jackson's reference chain; empty at the root. */
    public static String path(JacksonException e) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The first line of Jackson's own message, without the source excerpt it appends. */
    public static String message(JacksonException e) {
        String m = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
