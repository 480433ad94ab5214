package dev.mcdropout.training;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mcdropout.system.ApiProblem;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.annotation.JsonDeserialize;
import java.util.Map;
import org.springframework.http.ProblemDetail;

/** JSON shapes of the training endpoints. */
public final class TrainingDtos {

    private TrainingDtos() {
    }

    @Schema(name = "TrainRequest", description = "A data set to train on and how to train; only name and dataset are required")
    public record TrainRequest(
            @Schema(description = "Model name; a successful job saves its next version",
                    pattern = "[a-z0-9][a-z0-9_-]{0,63}", example = "wine", requiredMode = Schema.RequiredMode.REQUIRED)
            String name,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) TrainingDataset dataset,
            Hyperparameters hyperparameters,
            @Schema(description = "Make the new version active when training succeeds (default true)", example = "true")
            Boolean activate,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "TrainingDataset", description = "Feature rows and one string label per row; the class order is the labels' sorted order")
    public record TrainingDataset(
            // Read by a bounded parser; documented as the array of rows it is, with its description and example
            // (TrainingConfiguration#datasetFeaturesDocs).
            @JsonDeserialize(using = ParsedRows.Deserializer.class)
            ParsedRows features,
            @ArraySchema(arraySchema = @Schema(description = "One label per row, as strings; at least two distinct",
                    example = "[\"0\", \"0\", \"1\"]"))
            @JsonDeserialize(using = ParsedLabels.Deserializer.class)
            List<String> labels,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {
    }

    @Schema(name = "Hyperparameters", description = """
            How to train; every field is optional and defaults to values that train well on small tabular data \
            (one hidden layer of 256 ReLU units, dropout 0.3, Adam at 0.002, batches of 64, up to 200 epochs with \
            early stopping after 15 epochs without a lower loss on a stratified 20% validation split, \
            standardised features, seed 1)""")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hyperparameters(
            @ArraySchema(arraySchema = @Schema(description = "Units per hidden layer (at most 16 layers of 16384 units; [] gives softmax regression)",
                    example = "[128]"))
            List<Integer> hiddenLayers,
            // Documented as a list only: the number | list oneOf breaks the java generator's client (7.25.0), and
            // a list is what every generated client can send. The service still reads a bare number as well.
            @ArraySchema(arraySchema = @Schema(description = """
                    Probability of dropping a hidden unit, in [0, 1), one per hidden layer. A bare number (not a \
                    list) is accepted too and applies to every hidden layer.""", example = "[0.3]"),
                    schema = @Schema(type = "number", format = "double"))
            DropoutSetting dropout,
            @Schema(description = "Probability of dropping an input feature, in [0, 1)", example = "0.0") Double inputDropout,
            @Schema(description = "Most epochs to train (1 to 10000; early stopping may end sooner)", example = "100") Integer epochs,
            @Schema(description = "Rows per mini-batch (positive)", example = "64") Integer batchSize,
            @Schema(description = "Step size, in (0, 10]", example = "0.001") Double learningRate,
            @Schema(description = "adam or sgd", allowableValues = {"adam", "sgd"}, example = "adam") String optimizer,
            @Schema(description = "Momentum of sgd, in [0, 1)", example = "0.9") Double momentum,
            @Schema(description = "L2 penalty on weights, in [0, 10]", example = "0.0001") Double l2,
            @Schema(description = "Share of each class held out for validation and early stopping, in [0, 0.9]; 0 trains on everything", example = "0.2")
            Double validationFraction,
            @Schema(description = "Epochs without a lower validation loss before stopping; 0 turns early stopping off", example = "10")
            Integer earlyStoppingPatience,
            @Schema(description = "Seed of the split, initial weights, shuffles and dropout masks", example = "1") Long seed,
            @Schema(description = "Standardise features with the training split's mean and std (default true)", example = "true")
            Boolean standardize,
            @Schema(description = """
                    DropConnect (Wan et al. 2013; default false): each hidden layer's dropout probability drops the \
                    weights into that layer's units instead of its outputs, one mask per mini-batch in training and \
                    one per Monte Carlo sample in prediction, shared by all rows of the sample; inputDropout keeps its \
                    meaning. Needs a hidden layer with dropout above 0.""", example = "false")
            Boolean dropConnect,
            @Schema(description = """
                    Batch normalisation (Ioffe and Szegedy 2015; default false) between each hidden layer's linear \
                    map and its ReLU: batch statistics in training, running mean and variance in prediction, also in \
                    Monte Carlo passes (only dropout is stochastic). Needs a hidden layer and batchSize >= 2.""",
                    example = "false")
            Boolean batchNorm,
            @Schema(description = "Momentum of batch norm's running statistics, in (0, 1] (running = (1 - m) running + m batch, as PyTorch; default 0.1); only with batchNorm",
                    example = "0.1")
            Double batchNormMomentum,
            @Schema(description = "Batch norm's epsilon, added to the variance, in (0, 1] (default 1e-5); only with batchNorm",
                    example = "0.00001")
            Double batchNormEpsilon,
            @JsonAnySetter @Schema(hidden = true) Map<String, Object> unknown) {

        static Hyperparameters none() {
            return new Hyperparameters(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null, null, null);
        }
    }

    public enum JobStatus { QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

        public boolean finished() {
            return this == SUCCEEDED || this == FAILED || this == CANCELLED;
        }
    }

    @Schema(name = "TrainingHistory", description = "Per finished epoch; validation lists are empty without a validation split")
    public record HistoryView(
            @Schema(description = "Mean training cross-entropy per epoch (dropout on)") List<Double> loss,
            @Schema(description = "Training accuracy per epoch (dropout on)") List<Double> trainAccuracy,
            @Schema(description = "Validation accuracy per epoch (test mode)") List<Double> validationAccuracy,
            @Schema(description = "Validation cross-entropy per epoch (test mode)") List<Double> validationLoss) {

        public static final HistoryView EMPTY = new HistoryView(List.of(), List.of(), List.of(), List.of());
    }

    @Schema(name = "TrainedModel", description = "The model version a successful job saved")
    public record TrainedModel(@Schema(example = "wine") String name, @Schema(example = "2") int version) {
    }

    @Schema(name = "TrainingJob", description = "A training job and its progress")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TrainingJobView(
            @Schema(description = "Job id", example = "3f0c2a9e-6a47-4f5e-9a53-1c2b0d4e5f60") String id,
            @Schema(description = "Model name", example = "wine") String name,
            @Schema(example = "RUNNING") JobStatus status,
            @Schema(description = "Epochs finished so far", example = "12") int epoch,
            @Schema(description = "Most epochs the job will train (early stopping may end it sooner)", example = "200") int epochs,
            HistoryView history,
            @Schema(description = "The saved version, when the job succeeded") TrainedModel model,
            @Schema(description = "What went wrong, when the job failed (an RFC 9457 problem)", implementation = ApiProblem.class)
            ProblemDetail error,
            @Schema(description = "Whether the new version becomes active when the job succeeds", example = "true") boolean activate,
            @Schema(description = "Rows in the data set", example = "178") int rows,
            @Schema(description = "Features per row", example = "13") int features,
            @Schema(description = "Class labels, in the model's output order") List<String> classes,
            Instant createdAt,
            Instant startedAt,
            Instant finishedAt) {
    }
}
