package dev.mcdropout.training;

import tools.jackson.core.JacksonException;

/** Where and why a JSON value was rejected, for problems raised outside the MVC message converters. */
final class JsonErrors {

    private JsonErrors() {
    }

    /** {@code dropout[1]} from Jackson's reference chain. */
    static String path(JacksonException e) {
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

    static String message(JacksonException e) {
        String m = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
