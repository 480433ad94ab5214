package dev.mcdropout.evaluation;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code mcdropout.experiments.*}: dropout-rate sweeps. They run on their own bounded executor at the training
 * jobs' lowered priority ({@code mcdropout.training.nice}).
 *
 * @param maxRates        most rates in one sweep (at most 20)
 * @param maxRowEpochs    most training rows x epochs x rates in one sweep, the work it may ask for
 * @param concurrency     sweeps running at once
 * @param queueCapacity   sweeps that may wait; one more is refused with 429
 * @param retainedJobs    finished sweeps kept in memory for {@code GET /experiments/{id}}
 * @param retryAfter      the Retry-After of that 429
 */
@Validated
@ConfigurationProperties("mcdropout.experiments")
public record ExperimentProperties(
        @DefaultValue("20") @Min(1) @Max(20) int maxRates,
        @DefaultValue("100000000") @Min(1) long maxRowEpochs,
        @DefaultValue("1") @Min(1) @Max(16) int concurrency,
        @DefaultValue("2") @Min(0) @Max(100) int queueCapacity,
        @DefaultValue("20") @Min(1) @Max(10_000) int retainedJobs,
        @DefaultValue("30s") @NotNull Duration retryAfter) {
}
