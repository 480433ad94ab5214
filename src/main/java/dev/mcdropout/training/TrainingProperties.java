package dev.mcdropout.training;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code mcdropout.training.*}: how training jobs share the machine with predictions.
 *
 * @param concurrency   jobs training at once, each on its own thread (default 1)
 * @param queueCapacity jobs that may wait for a free training thread; one more is a 429
 * @param waitTimeout   how long POST /train?wait=true holds the request before answering 202 with the
 *                      job still running
 * @param retainedJobs  finished jobs kept in memory for GET /train/jobs; older ones are forgotten (their
 *                      models stay in the store)
 * @param retryAfter    the Retry-After a client gets with a 429
 * @param nice          OS niceness (0 to 19) of training threads, so predictions win a contended core; 0 leaves
 *                      it unchanged
 * @param enabled       false switches training off on this instance: {@code POST /train} answers 503 with a
 *                      {@code training-disabled} problem and the default model is not trained at start (a replica
 *                      that only serves, beside others that train into the same store)
 */
@Validated
@ConfigurationProperties("mcdropout.training")
public record TrainingProperties(
        @DefaultValue("1") @Min(1) @Max(64) int concurrency,
        @DefaultValue("4") @Min(0) @Max(1000) int queueCapacity,
        @DefaultValue("5m") @NotNull Duration waitTimeout,
        @DefaultValue("100") @Min(1) @Max(100_000) int retainedJobs,
        @DefaultValue("30s") @NotNull Duration retryAfter,
        @DefaultValue("10") @Min(0) @Max(19) int nice,
        @DefaultValue("true") boolean enabled) {
}
