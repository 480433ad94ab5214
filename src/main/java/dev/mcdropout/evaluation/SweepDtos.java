package dev.mcdropout.evaluation;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mcdropout.system.ApiProblem;
import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.Hyperparameters;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import dev.mcdropout.training.TrainingDtos.TrainingDataset;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.ProblemDetail;

/** JSON shapes of the dropout-rate sweep. */
public final class SweepDtos {

    private SweepDtos() {
    }

    @Schema(name = "DropoutSweepRequest", description = "A data set and the dropout rates to compare; everything but dataset is optional")
    public record SweepRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) TrainingDataset dataset,
            @ArraySchema(arraySchema = @Schema(description = "Dropout probabilities to try on every hidden layer, each in "
                    + "[0, 1), at most 20 and distinct; default [0.0, 0.3, 0.5, 0.7, 0.9]", example = "[0.0, 0.3, 0.5, 0.7, 0.9]"))
            List<Double> rates,
            @Schema(description = "The other hyperparameters, shared by every run (dropout comes from rates); "
                    + "validationFraction must be above 0")
            Hyperparameters hyperparameters,
            @Schema(description = "Monte Carlo passes of each run's final validation report (default "
                    + "mcdropout.evaluation.default-mc-samples)", example = "100")
            Integer mcSamples,
            @Schema(description = "Store the best run as the next version of this model") SaveBest saveBest,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "SaveBest", description = "Where to store the best run")
    public record SaveBest(
            @Schema(description = "Model name", pattern = "[a-z0-9][a-z0-9_-]{0,63}", example = "digits-tuned",
                    requiredMode = Schema.RequiredMode.REQUIRED) String name,
            @Schema(description = "Make the new version active (default true)", example = "true") Boolean activate,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "SweepRunReport", description = "A run's final validation report (Monte Carlo unless named deterministic)")
    public record RunReport(
            @Schema(example = "0.975") double accuracy,
            @Schema(description = "Mean -log p(y) of the Monte Carlo mean probability", example = "0.08") double nll,
            @Schema(example = "0.04") double brier,
            @Schema(description = "15 equal-width bins", example = "0.01") double ece,
            @Schema(description = "AUROC of mutual information telling wrong predictions from right ones; null when "
                    + "every validation row is right", nullable = true, example = "0.93")
            Double misclassificationAurocMutualInformation,
            @Schema(example = "0.972") double deterministicAccuracy,
            @Schema(example = "0.09") double deterministicNll,
            @Schema(example = "0.012") double deterministicEce) {
    }

    @Schema(name = "SweepRun", description = "One training run of the sweep")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RunView(
            @Schema(example = "0.5") double rate,
            @Schema(description = "QUEUED (not started), RUNNING, SUCCEEDED, FAILED or CANCELLED") JobStatus status,
            @Schema(description = "Epochs finished", example = "12") int epoch,
            HistoryView history,
            @Schema(description = "Epoch whose weights were kept (early stopping)") Integer bestEpoch,
            RunReport report) {
    }

    @Schema(name = "DropoutSweep", description = "A dropout-rate sweep and its progress")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SweepView(
            @Schema(example = "8b1e7d00-2f5a-4c1e-9d0e-5a4b3c2d1e0f") String id,
            @Schema(example = "RUNNING") JobStatus status,
            @Schema(example = "[0.0, 0.3, 0.5, 0.7, 0.9]") List<Double> rates,
            @Schema(description = "Share of the sweep done, 0 to 1 (finished runs plus the running run's epochs)",
                    example = "0.45") double progress,
            @Schema(description = "Most epochs per run", example = "30") int epochs,
            List<RunView> runs,
            @Schema(description = "Rate with the lowest Monte Carlo validation NLL, once every run finished",
                    example = "0.3") Double bestRate,
            @Schema(description = "The version saveBest stored") TrainedModel model,
            @Schema(description = "What went wrong, when the sweep failed", implementation = ApiProblem.class)
            ProblemDetail error,
            @Schema(example = "1797") int rows,
            @Schema(example = "64") int features,
            List<String> classes,
            @Schema(example = "100") int mcSamples,
            @Schema(description = "Where to fetch the per-epoch plots") SweepPlots plots,
            Instant createdAt,
            Instant startedAt,
            Instant finishedAt) {
    }

    @Schema(name = "SweepPlots", description = "Validation accuracy and loss per epoch, one line per rate (PNG; ?format=svg for SVG)")
    public record SweepPlots(
            @Schema(example = "/experiments/8b1e.../plot?metric=accuracy") String accuracy,
            @Schema(example = "/experiments/8b1e.../plot?metric=loss") String loss) {
    }
}
