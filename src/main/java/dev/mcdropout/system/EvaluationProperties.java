package dev.mcdropout.system;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code mcdropout.evaluation.*}: how much an evaluation may ask of the service, and the Monte Carlo sample
 * count used when a request names none (also by training jobs when they evaluate their validation split).
 *
 * @param defaultMcSamples Monte Carlo passes of an evaluation that names no {@code mcSamples}, and of the
 *                         validation report a training job stores with its version
 * @param maxMcSamples     largest {@code mcSamples} of an evaluation
 * @param maxRows          most labelled rows, and most out-of-distribution rows, per evaluation
 * @param maxRowSamples    most (labelled + OOD rows) x {@code mcSamples} per evaluation
 * @param maxConcurrent    evaluations computed at once; more get a 503 with Retry-After
 * @param curvePoints      most points of a risk-coverage curve in a report (thinned evenly)
 * @param retained         recent evaluations kept in memory for their plot URLs
 * @param deadline         how long an evaluation may take from the request's arrival to its answer; past it the
 *                         work stops and the client gets a 503 {@code deadline-exceeded} with Retry-After (as
 *                         {@code mcdropout.predict.deadline} for predictions)
 */
@Validated
@ConfigurationProperties("mcdropout.evaluation")
public record EvaluationProperties(
        @DefaultValue("100") @Min(1) @Max(100_000) int defaultMcSamples,
        @DefaultValue("1000") @Min(1) @Max(100_000) int maxMcSamples,
        @DefaultValue("10000") @Min(1) @Max(10_000_000) int maxRows,
        @DefaultValue("2000000") @Min(1) @Max(1_000_000_000) long maxRowSamples,
        @DefaultValue("2") @Min(1) @Max(64) int maxConcurrent,
        @DefaultValue("200") @Min(2) @Max(100_000) int curvePoints,
        @DefaultValue("50") @Min(1) @Max(10_000) int retained,
        @DefaultValue("120s") @NotNull Duration deadline) {

    @AssertTrue(message = "deadline must be positive")
    public boolean isDeadlineValid() {
        return deadline == null || (!deadline.isNegative() && !deadline.isZero());
    }
}
