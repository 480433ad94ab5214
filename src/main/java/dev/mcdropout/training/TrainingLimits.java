package dev.mcdropout.training;

import dev.mcdropout.system.McDropoutProperties;
import org.springframework.util.unit.DataSize;

/**
 * The training limits, the part of {@code mcdropout.limits.*} (bound and validated in
 * {@link McDropoutProperties.Limits}) that the training code reads.
 */
public record TrainingLimits(DataSize maxTrainingBody, int maxTrainingRows, int maxTrainingFeatures,
                             int maxHiddenUnits, int maxHiddenLayers, int maxEpochs) {

    static TrainingLimits of(McDropoutProperties.Limits limits) {
        return new TrainingLimits(limits.maxTrainingBody(), limits.maxTrainingRows(), limits.maxTrainingFeatures(),
                limits.maxHiddenUnits(), limits.maxHiddenLayers(), limits.maxEpochs());
    }
}
