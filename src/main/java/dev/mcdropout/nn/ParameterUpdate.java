package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimiser's state for one training run. {@link #step} changes the given parameters in place; it is
 * the only in-place write to them, so the trainer's parameter copies are the only arrays that ever change.
 * Not thread-safe: one instance per run.
 */
public interface ParameterUpdate {

    /**
     * Moves each of {@code parameters} against the matching entry of {@code gradients} (same order and
     * shapes on every call), in place.
     */
    void step(List<INDArray> parameters, List<INDArray> gradients);

    /** The update rule a config asks for, with fresh state. */
    static ParameterUpdate of(TrainingConfig config) {
        return switch (config.optimizer()) {
            case ADAM -> new Adam(config.learningRate());
            case SGD -> new Sgd(config.learningRate(), config.momentum());
        };
    }
}
