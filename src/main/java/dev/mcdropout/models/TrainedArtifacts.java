package dev.mcdropout.models;

import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingResult;
import dev.mcdropout.nn.artifact.ModelArtifact;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The artifact of a network trained in this service, whether by the start-up bootstrap or by a training job,
 * so both store the same hyperparameter names and metrics and a model's metadata reads the same either way.
 */
public final class TrainedArtifacts {

    private TrainedArtifacts() {
    }

    public static ModelArtifact of(TrainingConfig config, TrainingResult result, Instant createdAt) {
        return new ModelArtifact(result.network(), hyperparameters(config), result.history(), metrics(result),
                createdAt);
    }

    /** The effective hyperparameters, under the names a training request uses. */
    public static Map<String, Object> hyperparameters(TrainingConfig c) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("hiddenLayers", c.hiddenLayers());
        h.put("dropout", c.dropout());
        h.put("inputDropout", c.inputDropout());
        h.put("epochs", c.epochs());
        h.put("batchSize", c.batchSize());
        h.put("learningRate", c.learningRate());
        h.put("optimizer", c.optimizer().name().toLowerCase(Locale.ROOT));
        h.put("momentum", c.momentum());
        h.put("l2", c.l2());
        h.put("validationFraction", c.validationFraction());
        h.put("earlyStoppingPatience", c.earlyStoppingPatience());
        h.put("seed", c.seed());
        h.put("standardize", c.standardize());
        h.put("dropConnect", c.dropConnect());
        h.put("batchNorm", c.batchNorm());
        if (c.batchNorm()) {
            h.put("batchNormMomentum", c.batchNormMomentum());
            h.put("batchNormEpsilon", c.batchNormEpsilon());
        }
        return h;
    }

    /** Validation figures are NaN when no rows were held out; JSON has no NaN, so those are left out. */
    static Map<String, Double> metrics(TrainingResult result) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (Double.isFinite(result.validationLoss())) {
            m.put("validationLoss", result.validationLoss());
        }
        if (Double.isFinite(result.validationAccuracy())) {
            m.put("validationAccuracy", result.validationAccuracy());
        }
        m.put("bestEpoch", (double) result.bestEpoch());
        m.put("epochsTrained", (double) result.history().loss().size());
        return m;
    }
}
