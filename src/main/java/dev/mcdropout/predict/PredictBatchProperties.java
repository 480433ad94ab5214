package dev.mcdropout.predict;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code mcdropout.predict.batch.*}: predictions for the same model version, {@code mcSamples} and
 * {@code include} that are admitted at the same time run as one engine call ({@link PredictBatcher}).
 *
 * @param enabled       false: every prediction runs the engine on its own, as before batching
 * @param window        how long the first prediction of a batch waits for others to join it (0 to 100ms); it
 *                      waits not at all when no more requests are in flight than the engine has threads
 *                      ({@code mcdropout.predict.threads}), and no longer once every admitted prediction has joined
 *                      the batch
 * @param maxRows       most rows of one batch; a prediction with more runs on its own
 * @param maxRowSamples most rows x mcSamples of one batch; a prediction with more runs on its own
 */
@Validated
@ConfigurationProperties("mcdropout.predict.batch")
public record PredictBatchProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("1ms") @NotNull Duration window,
        @DefaultValue("64") @Min(1) @Max(100_000) int maxRows,
        @DefaultValue("100000") @Min(1) @Max(100_000_000) long maxRowSamples) {

    /** A window is short by design: it is latency every batched prediction may pay. */
    @AssertTrue(message = "window must be between 0 and 100ms")
    public boolean isWindowValid() {
        return window == null || (!window.isNegative() && window.compareTo(Duration.ofMillis(100)) <= 0);
    }
}
