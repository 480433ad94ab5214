package dev.mcdropout.nn;

/**
 * A forward pass produced a NaN or an infinity (its activations overflowed). Nothing derived from it is
 * returned: a prediction is either finite or refused.
 */
public final class NonFiniteResultException extends ArithmeticException {

    public NonFiniteResultException(String message) {
        super(message);
    }
}
