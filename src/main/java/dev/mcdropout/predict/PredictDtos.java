package dev.mcdropout.predict;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** JSON shapes of POST /predict. */
public final class PredictDtos {

    private PredictDtos() {
    }

    @Schema(name = "PredictRequest", description = "Rows to predict, each with as many numbers as the model has input features")
    public record PredictRequest(
            @ArraySchema(arraySchema = @Schema(requiredMode = Schema.RequiredMode.REQUIRED,
                    description = "Feature rows (raw, not standardised); finite numbers only",
                    example = "[[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]]"),
                    minItems = 1)
            double[][] instances) {
    }

    @Schema(name = "ModelRef", description = "The model version that answered")
    public record ModelRef(@Schema(example = "digits") String name, @Schema(example = "1") int version) {
    }

    @Schema(name = "Prediction", description = "Monte Carlo summary of one row")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Prediction(
            @Schema(description = "Label of the class with the highest mean probability", example = "0") String predictedClass,
            @Schema(description = "Mean softmax probability per class over the passes", example = "[0.97, 0.001, 0.002, 0.001, 0.004, 0.006, 0.01, 0.001, 0.003, 0.002]")
            double[] mean,
            @Schema(description = "Population standard deviation of each class probability over the passes", example = "[0.03, 0.002, 0.003, 0.001, 0.006, 0.01, 0.02, 0.001, 0.004, 0.003]")
            double[] std,
            @Schema(description = "Entropy of the mean distribution, in nats: total uncertainty", example = "0.18") double predictiveEntropy,
            @Schema(description = "Predictive entropy minus the mean entropy of the passes, in nats: the model's (epistemic) uncertainty", example = "0.04")
            double mutualInformation,
            @Schema(description = "Share of passes that did not vote for the modal class", example = "0.02") double variationRatio,
            @Schema(description = "Mean raw class score per class (with include=scores)", nullable = true) double[] scoresMean,
            @Schema(description = "Standard deviation of each raw class score (with include=scores)", nullable = true) double[] scoresStd,
            @Schema(description = "Passes this row took (with mcSamples=auto): the passes 0 .. samplesUsed - 1 of the seed, as mcSamples=samplesUsed would draw them", nullable = true, example = "50")
            Integer samplesUsed,
            @Schema(description = "Largest standard error of a class's mean probability after samplesUsed passes, max std / sqrt(samplesUsed - 1) (with mcSamples=auto): below tolerance unless the row stopped at maxSamples", nullable = true, example = "0.004")
            Double standardError) {
    }

    @Schema(name = "AdaptiveSampling", description = "The settings of mcSamples=auto that this answer used; send them back with the seed to reproduce it")
    public record Adaptive(
            @Schema(description = "A row stopped once the standard error of each of its mean probabilities was below this", example = "0.01") double tolerance,
            @Schema(description = "Passes every row took before the first check", example = "50") int minSamples,
            @Schema(description = "Passes after which a row stopped whatever its standard error", example = "800") int maxSamples) {
    }

    @Schema(name = "PredictResponse", description = "Predictions with uncertainty")
    public record PredictResponse(
            ModelRef model,
            @Schema(description = "Stochastic passes run; 0 means one deterministic pass; with mcSamples=auto, the most passes any row took", example = "100") int mcSamples,
            @Schema(description = "Seed of the dropout masks; send it back to reproduce this answer", example = "7") long seed,
            @Schema(description = "Class labels, in the order of mean and std", example = "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]")
            List<String> classes,
            List<Prediction> predictions,
            @Schema(description = "With mcSamples=auto: its settings (mcSamples is then the most passes any row took); absent otherwise")
            @JsonInclude(JsonInclude.Include.NON_NULL) Adaptive adaptive) {
    }
}
