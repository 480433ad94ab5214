package dev.mcdropout.nn;

import java.util.Locale;

/** Activation of a layer; the output layer is always {@link #LINEAR} (softmax is applied by the loss and the predictor). */
public enum Activation {
    RELU, LINEAR;

    /** The name used in {@code model.json}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Activation fromJsonName(String name) {
        for (Activation a : values()) {
            if (a.jsonName().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "', expected relu or linear");
    }
}
