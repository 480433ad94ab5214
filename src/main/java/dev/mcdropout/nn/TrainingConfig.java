package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Hyperparameters of one training run. {@code dropout} holds one probability per hidden layer;
 * {@code earlyStoppingPatience == 0} turns early stopping off; {@code validationFraction == 0} trains on
 * everything. STUB values for the defaults: the trainer's author tunes them.
 */
public record TrainingConfig(List<Integer> hiddenLayers, List<Double> dropout, double inputDropout, int epochs,
                             int batchSize, double learningRate, Optimizer optimizer, double momentum, double l2,
                             double validationFraction, int earlyStoppingPatience, long seed, boolean standardize,
                             DataType dataType) {

    public static TrainingConfig defaults() {
        return new TrainingConfig(List.of(128), List.of(0.5), 0.0, 100, 64, 1e-3, Optimizer.ADAM, 0.9, 1e-4,
                0.2, 10, 1L, true, DataType.FLOAT);
    }
}
