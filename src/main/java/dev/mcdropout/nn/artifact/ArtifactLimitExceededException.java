package dev.mcdropout.nn.artifact;

/**
 * An archive refused because it breaks one of the {@link ArtifactLimits} (too large, inflates too far, too
 * many layers or units) rather than because it is malformed, so that the web layer can answer 413 instead of
 * 422. The message says which limit and its value.
 */
public class ArtifactLimitExceededException extends InvalidArtifactException {

    public ArtifactLimitExceededException(String message) {
        super(message);
    }
}
