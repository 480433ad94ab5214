package dev.mcdropout.nn;

import java.util.List;

/** Per-epoch metrics; validation lists are empty when there is no validation split. */
public record TrainingHistory(List<Double> loss, List<Double> trainAccuracy, List<Double> validationLoss,
                              List<Double> validationAccuracy) {
}
