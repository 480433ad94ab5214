package dev.mcdropout.training;

import dev.mcdropout.models.ModelNames;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Optimizer;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.training.TrainingDtos.Hyperparameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Turns what a client sent into a checked {@link Dataset} and {@link TrainingConfig}, or a 4xx problem that
 * names the field and the allowed range. Every number a client can send is bounded here.
 */
public final class TrainingRequests {

    /** Learning rates above this only diverge; the bound keeps the number a client sends finite and sane. */
    static final double MAX_LEARNING_RATE = 10.0;
    static final double MAX_L2 = 10.0;
    static final double MAX_VALIDATION_FRACTION = 0.9;

    private final TrainingLimits limits;

    public TrainingRequests(TrainingLimits limits) {
        this.limits = limits;
    }

    public static void requireKnown(Map<String, Object> unknown, String where) {
        if (unknown != null && !unknown.isEmpty()) {
            List<String> names = unknown.keySet().stream().map(CsvDatasetReader::abbreviate).toList();
            throw new ProblemException(HttpStatus.BAD_REQUEST, "unknown-field", "Unknown field",
                    where + " has unknown field(s) " + names + "; check the spelling against /v3/api-docs", names);
        }
    }

    public String name(String name) {
        return ModelNames.require(name);
    }

    /** Rows and labels from JSON: checks counts and limits, then builds the data set. */
    /**
     * A JSON data set as the bounded parser left it ({@link ParsedRows}, {@link ParsedLabels}): the checks that
     * ran on {@code double[][]} and {@code List<String>}, in the same order and with the same answers. Rows past
     * the problem row and past the row cap were never kept; every request that has them fails here first.
     */
    public Dataset dataset(ParsedRows features, List<String> labels) {
        if (features == null || labels == null) {
            throw invalidRequest("dataset needs both 'features' (rows of numbers) and 'labels' (one string per row)",
                    features == null ? "dataset.features" : "dataset.labels");
        }
        int rows = features.rows();
        if (rows > limits.maxTrainingRows()) {
            throw ProblemException.limit(HttpStatus.CONTENT_TOO_LARGE, "max-training-rows",
                    "the data set has " + rows + " rows, more than the " + limits.maxTrainingRows()
                            + " allowed");
        }
        if (rows == 0) {
            throw invalidDataset("the data set has no rows", "dataset.features");
        }
        if (rows != labels.size()) {
            throw invalidDataset("the data set has " + rows + " feature rows but " + labels.size()
                    + " labels; give one label per row", "dataset.labels");
        }
        int width = -1;
        for (int i = 0; i < rows; i++) {
            int rowWidth = features.width(i);
            if (rowWidth < 0) {
                throw invalidDataset("dataset.features[" + i + "] is null; every row must be a list of numbers",
                        "dataset.features[" + i + "]");
            }
            if (width < 0) {
                width = rowWidth;
                if (width > limits.maxTrainingFeatures()) {
                    throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-training-features",
                            "rows have " + width + " features, more than the " + limits.maxTrainingFeatures()
                                    + " allowed");
                }
            } else if (rowWidth != width) {
                throw invalidDataset("all rows need the same number of features: row 0 has " + width + ", row " + i
                        + " has " + rowWidth, "dataset.features[" + i + "]");
            }
            if (labels.get(i) == null) {
                throw invalidDataset("dataset.labels[" + i + "] is null; every row needs a label", "dataset.labels[" + i + "]");
            }
        }
        return build(features.toArrays(), labels);
    }

    public Dataset dataset(CsvDatasetReader.Parsed csv) {
        return build(csv.features(), csv.labels());
    }

    private Dataset build(double[][] features, List<String> labels) {
        try {
            return Dataset.of(features, labels);
        } catch (IllegalArgumentException e) {
            throw invalidDataset(e.getMessage());
        }
    }

    /** Defaults from the engine, overridden field by field; every value checked against its range. */
    public TrainingConfig config(Hyperparameters h) {
        TrainingConfig d = TrainingConfig.defaults();
        if (h == null) {
            return d;
        }
        requireKnown(h.unknown(), "hyperparameters");
        List<Integer> hidden = d.hiddenLayers();
        if (h.hiddenLayers() != null) {
            if (h.hiddenLayers().size() > limits.maxHiddenLayers()) {
                throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-hidden-layers",
                        "hiddenLayers has " + h.hiddenLayers().size() + " layers, more than the "
                                + limits.maxHiddenLayers() + " allowed");
            }
            hidden = new ArrayList<>();
            for (int i = 0; i < h.hiddenLayers().size(); i++) {
                Integer units = h.hiddenLayers().get(i);
                if (units == null || units < 1) {
                    throw invalidHyperparameter("hiddenLayers[" + i + "]",
                            "every hidden layer needs at least 1 unit, got " + units);
                }
                if (units > limits.maxHiddenUnits()) {
                    throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-hidden-units",
                            "hiddenLayers[" + i + "] has " + units + " units, more than the " + limits.maxHiddenUnits()
                                    + " allowed per layer");
                }
                hidden.add(units);
            }
        }
        List<Double> dropout;
        if (h.dropout() == null) {
            // the engine's default probability, on however many layers the client asked for
            double p = d.dropout().isEmpty() ? 0.0 : d.dropout().get(0);
            dropout = hidden.stream().map(u -> p).toList();
        } else {
            dropout = h.dropout().forLayers(hidden.size());
            if (dropout.size() != hidden.size()) {
                throw invalidHyperparameter("dropout", "give one probability for all hidden layers or a list with one "
                        + "per hidden layer; there are " + hidden.size() + " hidden layers but " + dropout.size()
                        + " probabilities");
            }
            for (int i = 0; i < dropout.size(); i++) {
                probability(h.dropout().perLayer() == null ? "dropout" : "dropout[" + i + "]", dropout.get(i));
            }
        }
        double inputDropout = h.inputDropout() == null ? d.inputDropout() : probability("inputDropout", h.inputDropout());
        int epochs = d.epochs();
        if (h.epochs() != null) {
            if (h.epochs() < 1) {
                throw invalidHyperparameter("epochs", "epochs must be at least 1, got " + h.epochs());
            }
            if (h.epochs() > limits.maxEpochs()) {
                throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-epochs",
                        "epochs is " + h.epochs() + ", more than the " + limits.maxEpochs() + " allowed");
            }
            epochs = h.epochs();
        }
        int batchSize = d.batchSize();
        if (h.batchSize() != null) {
            if (h.batchSize() < 1 || h.batchSize() > limits.maxTrainingRows()) {
                throw invalidHyperparameter("batchSize", "batchSize must be between 1 and " + limits.maxTrainingRows()
                        + ", got " + h.batchSize());
            }
            batchSize = h.batchSize();
        }
        double learningRate = h.learningRate() == null ? d.learningRate()
                : range("learningRate", h.learningRate(), 0, false, MAX_LEARNING_RATE, true);
        Optimizer optimizer = d.optimizer();
        if (h.optimizer() != null) {
            optimizer = switch (h.optimizer().toLowerCase(Locale.ROOT)) {
                case "adam" -> Optimizer.ADAM;
                case "sgd" -> Optimizer.SGD;
                default -> throw invalidHyperparameter("optimizer", "optimizer must be 'adam' or 'sgd', got '"
                        + CsvDatasetReader.abbreviate(h.optimizer()) + "'");
            };
        }
        double momentum = h.momentum() == null ? d.momentum() : range("momentum", h.momentum(), 0, true, 1, false);
        double l2 = h.l2() == null ? d.l2() : range("l2", h.l2(), 0, true, MAX_L2, true);
        double validationFraction = h.validationFraction() == null ? d.validationFraction()
                : range("validationFraction", h.validationFraction(), 0, true, MAX_VALIDATION_FRACTION, true);
        int patience = d.earlyStoppingPatience();
        if (h.earlyStoppingPatience() != null) {
            if (h.earlyStoppingPatience() < 0 || h.earlyStoppingPatience() > limits.maxEpochs()) {
                throw invalidHyperparameter("earlyStoppingPatience", "earlyStoppingPatience must be between 0 (off) and "
                        + limits.maxEpochs() + ", got " + h.earlyStoppingPatience());
            }
            patience = h.earlyStoppingPatience();
        }
        long seed = h.seed() == null ? d.seed() : h.seed();
        boolean standardize = h.standardize() == null ? d.standardize() : h.standardize();
        boolean dropConnect = h.dropConnect() == null ? d.dropConnect() : h.dropConnect();
        if (dropConnect && hidden.isEmpty()) {
            throw invalidHyperparameter("dropConnect", "dropConnect drops the weights into hidden units, but "
                    + "hiddenLayers is empty; add a hidden layer or leave dropConnect out");
        }
        if (dropConnect && dropout.stream().allMatch(p -> p == 0.0)) {
            throw invalidHyperparameter("dropConnect", "dropConnect uses each hidden layer's dropout as the probability "
                    + "of dropping a weight, but every dropout is 0; give dropout above 0 or leave dropConnect out");
        }
        boolean batchNorm = h.batchNorm() == null ? d.batchNorm() : h.batchNorm();
        if (batchNorm && hidden.isEmpty()) {
            throw invalidHyperparameter("batchNorm", "batchNorm normalises hidden layers, but hiddenLayers is empty; "
                    + "add a hidden layer or leave batchNorm out");
        }
        if (batchNorm && batchSize < 2) {
            throw invalidHyperparameter("batchSize", "batchSize must be at least 2 with batchNorm (a mini-batch's "
                    + "variance needs two rows), got " + batchSize);
        }
        if (!batchNorm && h.batchNormMomentum() != null) {
            throw invalidHyperparameter("batchNormMomentum", "batchNormMomentum applies only with \"batchNorm\": true");
        }
        if (!batchNorm && h.batchNormEpsilon() != null) {
            throw invalidHyperparameter("batchNormEpsilon", "batchNormEpsilon applies only with \"batchNorm\": true");
        }
        double batchNormMomentum = h.batchNormMomentum() == null ? d.batchNormMomentum()
                : range("batchNormMomentum", h.batchNormMomentum(), 0, false, 1, true);
        double batchNormEpsilon = h.batchNormEpsilon() == null ? d.batchNormEpsilon()
                : range("batchNormEpsilon", h.batchNormEpsilon(), 0, false, 1, true);
        try {
            return new TrainingConfig(hidden, dropout, inputDropout, epochs, batchSize, learningRate, optimizer, momentum,
                    l2, validationFraction, patience, seed, standardize, d.dataType(), dropConnect, batchNorm,
                    batchNormMomentum, batchNormEpsilon);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("invalid-hyperparameters", "Invalid hyperparameters", e.getMessage());
        }
    }

    private static double probability(String field, double p) {
        return range(field, p, 0, true, 1, false);
    }

    private static double range(String field, double value, double min, boolean minInclusive, double max,
                                boolean maxInclusive) {
        boolean ok = Double.isFinite(value)
                && (minInclusive ? value >= min : value > min)
                && (maxInclusive ? value <= max : value < max);
        if (!ok) {
            throw invalidHyperparameter(field, field + " must be in " + (minInclusive ? "[" : "(") + fmt(min) + ", "
                    + fmt(max) + (maxInclusive ? "]" : ")") + ", got " + value);
        }
        return value;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    public static ProblemException invalidHyperparameter(String field, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "invalid-hyperparameters", "Invalid hyperparameters",
                detail, List.of("hyperparameters." + field));
    }

    public static ProblemException invalidDataset(String detail) {
        return ProblemException.unprocessable("invalid-dataset", "Invalid data set", detail);
    }

    /** As {@link #invalidDataset(String)}, naming the offending field. */
    public static ProblemException invalidDataset(String detail, String field) {
        return new ProblemException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "Invalid data set", detail,
                List.of(field));
    }

    public static ProblemException invalidRequest(String detail, String field) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail,
                List.of(field));
    }
}
