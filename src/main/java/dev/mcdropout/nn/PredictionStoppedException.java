package dev.mcdropout.nn;

/**
 * Thrown by {@link MonteCarloPredictor} when the caller's stop signal was raised (its deadline passed, or its
 * client went away): the passes still to do are skipped, and nothing is returned.
 */
public class PredictionStoppedException extends RuntimeException {

    public PredictionStoppedException() {
        super("Monte Carlo prediction stopped by its caller");
    }
}
