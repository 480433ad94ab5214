package dev.mcdropout.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.TrainingHistory;
import dev.mcdropout.nn.metrics.EvaluationReport;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** JSON shapes of the models API. */
public final class ModelDtos {

    private ModelDtos() {
    }

    @Schema(name = "ModelSummary", description = "A model and its stored versions")
    public record ModelSummary(
            @Schema(example = "digits") String name,
            @Schema(description = "Active version, null when none is active", example = "1", nullable = true)
            Integer activeVersion,
            @Schema(example = "[1, 2]") List<Integer> versions) {
    }

    @Schema(name = "Architecture", description = "Shape of the network")
    public record Architecture(
            @Schema(description = "Input features", example = "64") int inputs,
            @Schema(description = "Units per hidden layer (ReLU)", example = "[128]") List<Integer> hiddenLayers,
            @Schema(description = "Output units, one per class", example = "10") int outputs,
            @Schema(description = "Dropout probability on the input features", example = "0.0") double inputDropout,
            @Schema(description = "Dropout probability of each hidden layer: of its output units, or of the weights "
                    + "into its units where it uses DropConnect", example = "[0.5]") List<Double> dropout,
            @Schema(description = "Whether inputs are standardised as (x - mean) / std before the first layer")
            boolean standardized,
            @Schema(description = "Whether hidden layers drop weights (DropConnect) rather than output units; true "
                    + "when any hidden layer does (an imported model may mix, see its model.json)", example = "false")
            boolean dropConnect,
            @Schema(description = "Whether hidden layers batch-normalise their linear output before the ReLU; true "
                    + "when any hidden layer does", example = "false")
            boolean batchNorm) {

        static Architecture of(Network network) {
            NetworkSpec spec = network.spec();
            return new Architecture(spec.inputs(), spec.hidden(), spec.outputs(), spec.inputDropout(),
                    spec.hiddenDropout(), !network.standardization().isIdentity(), spec.dropConnect(), spec.batchNorm());
        }
    }

    @Schema(name = "TrainingHistory", description = "Per-epoch training metrics; validation lists are empty without a validation split")
    public record History(List<Double> loss, List<Double> trainAccuracy, List<Double> validationLoss,
                   List<Double> validationAccuracy) {

        static History of(TrainingHistory h) {
            return h == null ? null : new History(h.loss(), h.trainAccuracy(), h.validationLoss(), h.validationAccuracy());
        }
    }

    @Schema(name = "ModelVersion", description = "Metadata of one stored model version")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ModelVersion(
            @Schema(example = "digits") String name,
            @Schema(example = "1") int version,
            @Schema(description = "Whether this version answers predictions that name no version") boolean active,
            @Schema(description = "When the artifact was created", example = "2026-11-30T04:00:00Z") Instant createdAt,
            @Schema(description = "SHA-256 of the stored zip, hex", example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
            String sha256,
            @Schema(description = "Size of the stored zip in bytes", example = "41234") long sizeBytes,
            Architecture architecture,
            @Schema(description = "Class labels, in output order", example = "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]")
            List<String> classes,
            @Schema(description = "Hyperparameters the model was trained with (empty when unknown)")
            Map<String, Object> hyperparameters,
            @Schema(description = "Training history, null for a model trained elsewhere", nullable = true)
            History history,
            @Schema(description = "Validation metrics, such as validationAccuracy and validationLoss",
                    example = "{\"validationAccuracy\": 0.975, \"validationLoss\": 0.09}")
            Map<String, Double> metrics,
            @Schema(description = "Evaluation of the validation split (deterministic and Monte Carlo side by side), "
                    + "stored by the training job that made this version; null for imported versions and versions "
                    + "stored before reports existed", nullable = true)
            EvaluationReport evaluation) {

        static ModelVersion of(LoadedModel model, boolean active, EvaluationReport evaluation) {
            var a = model.artifact();
            return new ModelVersion(model.name(), model.version(), active, a.createdAt(), model.sha256(),
                    model.sizeBytes(), Architecture.of(a.network()), a.network().classes(), a.hyperparameters(),
                    History.of(a.history()), a.metrics(), evaluation);
        }
    }
}
