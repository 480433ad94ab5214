package dev.mcdropout.system;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Numbers of a row read straight from the token stream (predict's {@code instances}, a data set's
 * {@code features}) with exactly the answers Jackson's own {@code double[]} deserializer gives: the bounded
 * parsers read numbers themselves and hand anything else here.
 */
public final class JsonNumbers {

    private JsonNumbers() {
    }

    /**
     * A token other than a number where an element of a {@code double[]} belongs: Jackson's {@code double}
     * deserializer decides ("NaN" is NaN where the coercion rules allow it, "abc" fails), and its failures are
     * worded as its {@code double[]} deserializer words them.
     */
    public static double arrayElement(JsonParser p, DeserializationContext ctxt, JsonToken t) {
        try {
            return ctxt.readValue(p, Double.TYPE);
        } catch (DatabindException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (t == JsonToken.VALUE_NULL) {
                throw MismatchedInputException.from(p, double[].class, "Cannot coerce `null` to element of `double[]` "
                        + "(disable `DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES` to allow)");
            }
            if (message.contains(" to `double` value (but might")) {
                throw MismatchedInputException.from(p, double[].class,
                        message.replace(" to `double` value (but might", " to element of `double[]` (but might"));
            }
            throw e;
        }
    }
}
