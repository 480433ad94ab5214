package dev.mcdropout.evaluation;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.training.ParsedRows;
import dev.mcdropout.training.TrainingDtos.TrainingDataset;
import tools.jackson.databind.annotation.JsonDeserialize;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** JSON shapes of the evaluation endpoints. */
public final class EvaluationDtos {

    private EvaluationDtos() {
    }

    @Schema(name = "EvaluateRequest", description = "A labelled data set to evaluate a model version on, optionally with "
            + "out-of-distribution rows")
    public record EvaluateRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED,
                    description = "Rows and labels, as for training; every label must be one of the model's classes")
            TrainingDataset dataset,
            @Schema(description = "Rows from outside the training distribution (no labels): their uncertainty should "
                    + "be higher, which oodAuroc, oodAupr and fpr95 measure")
            OutOfDistribution outOfDistribution,
            @Schema(description = "Accuracy the selective-prediction thresholds should reach, in (0, 1]; the same as "
                    + "the query parameter", example = "0.99")
            Double targetAccuracy,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "OutOfDistribution", description = "Feature rows without labels")
    public record OutOfDistribution(
            // Documented by EvaluationConfiguration#outOfDistributionFeaturesDocs (read by a bounded parser).
            @JsonDeserialize(using = ParsedRows.Deserializer.class)
            ParsedRows features,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "EvaluatedModel", description = "The model version evaluated")
    public record ModelRef(@Schema(example = "digits") String name, @Schema(example = "1") int version) {
    }

    @Schema(name = "EvaluationPlots", description = "Where to fetch this evaluation's plots (PNG; add ?format=svg for SVG)")
    public record Plots(
            @Schema(example = "/evaluations/5d1c.../plots/reliability") String reliabilityDiagram,
            @Schema(example = "/evaluations/5d1c.../plots/risk-coverage") String riskCoverage) {
    }

    @Schema(name = "Evaluation", description = """
            A model version evaluated on a labelled data set: the deterministic pass (dropout off) and Monte Carlo \
            dropout side by side, each with accuracy, nll, brier, ece (15 equal-width bins, table in eceBins), \
            adaptiveEce (15 equal-count bins) and, per uncertainty measure, misclassificationAuroc, the OOD figures \
            (with an OOD set), the risk-coverage curve, aurc, eAurc, riskAt80Coverage and the threshold reaching \
            targetAccuracy. Undefined figures are null.""")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record EvaluationView(
            @Schema(description = "Id of this evaluation; its plots are under /evaluations/{id}/plots for a while "
                    + "(mcdropout.evaluation.retained)") String id,
            ModelRef model,
            @Schema(example = "100") int mcSamples,
            @Schema(example = "7") long seed,
            @Schema(description = "Labelled rows evaluated", example = "360") int rows,
            @Schema(description = "Out-of-distribution rows (0 without a set)", example = "0") int oodRows,
            List<String> classes,
            @Schema(nullable = true, example = "0.99") Double targetAccuracy,
            EvaluationReport.PassReport deterministic,
            EvaluationReport.PassReport monteCarlo,
            Plots plots,
            Instant createdAt) {

        static EvaluationView of(String id, ModelRef model, EvaluationReport r, Instant createdAt) {
            return new EvaluationView(id, model, r.mcSamples(), r.seed(), r.rows(), r.oodRows(), r.classes(),
                    r.targetAccuracy(), r.deterministic(), r.monteCarlo(),
                    new Plots("/evaluations/" + id + "/plots/reliability", "/evaluations/" + id + "/plots/risk-coverage"),
                    createdAt);
        }
    }
}
