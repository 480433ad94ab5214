package dev.mcdropout.nn.artifact;

/**
 * A model archive that cannot be used, with a message that says what is wrong in terms the person who made
 * the archive can act on ("layer 1 weights: sha256 mismatch ...", "entry '../x' is not allowed").
 * Unchecked: a bad upload is a client error that the web layer maps to a 4xx, not a failure of the service.
 */
public class InvalidArtifactException extends RuntimeException {

    public InvalidArtifactException(String message) {
        super(message);
    }

    public InvalidArtifactException(String message, Throwable cause) {
        super(message, cause);
    }
}
