package dev.mcdropout.nn;

/** The trained network (best-validation weights when early stopping restored them) and how it got there. */
public record TrainingResult(Network network, TrainingHistory history, int bestEpoch, double validationLoss,
                             double validationAccuracy) {
}
