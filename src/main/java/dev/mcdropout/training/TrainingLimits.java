package dev.mcdropout.training;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The training limits, under {@code mcdropout.limits.*} next to the service's own so that every limit a
 * client can hit is named the same way in its 413/400 problem. The defaults are the issue's; an operator may
 * lower them (or raise them up to the hard caps below).
 */
@Validated
@ConfigurationProperties("mcdropout.limits")
public record TrainingLimits(
        @DefaultValue("256MB") @NotNull DataSize maxTrainingBody,
        @DefaultValue("1000000") @Min(2) @Max(100_000_000) int maxTrainingRows,
        @DefaultValue("100000") @Min(1) @Max(1_000_000) int maxTrainingFeatures,
        @DefaultValue("16384") @Min(1) @Max(1 << 20) int maxHiddenUnits,
        @DefaultValue("16") @Min(0) @Max(256) int maxHiddenLayers,
        @DefaultValue("10000") @Min(1) @Max(1_000_000) int maxEpochs) {
}
