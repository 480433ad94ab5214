package dev.mcdropout.nn;

import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Hyperparameters of one training run, checked on construction (an {@link IllegalArgumentException} names
 * the field and the allowed range).
 *
 * <ul>
 *   <li>{@code hiddenLayers}: units per hidden layer (may be empty: softmax regression);
 *       {@code dropout}: one probability of dropping a unit per hidden layer, each in [0, 1);
 *       {@code inputDropout}: the same for the input features.</li>
 *   <li>{@code epochs} >= 1 (an upper bound when early stopping is on), {@code batchSize} >= 1 (a batch
 *       larger than the training split is the whole split), {@code learningRate} > 0.</li>
 *   <li>{@code optimizer}: Adam or SGD; {@code momentum} in [0, 1) is used by SGD only.</li>
 *   <li>{@code l2} >= 0: penalty {@code (l2 / 2) * sum W^2} over weights, not biases (see {@link Loss}).</li>
 *   <li>{@code validationFraction} in [0, 1): the share of each class held out (stratified, seeded) to
 *       measure validation loss and accuracy in test mode; 0 trains on everything.</li>
 *   <li>{@code earlyStoppingPatience} >= 0: stop after that many epochs without a lower validation loss
 *       and return the best epoch's weights; 0 turns early stopping off (the last epoch's weights are
 *       returned). Without a validation split there is nothing to stop on, so it has no effect.</li>
 *   <li>{@code seed} fixes the split, initialisation, shuffling and dropout masks; {@code standardize}
 *       fits {@code (x - mean) / std} on the training split; {@code dataType} FLOAT or DOUBLE.</li>
 *   <li>{@code dropConnect}: each hidden layer's {@code dropout} drops the weights into its units instead of
 *       its outputs (Wan et al. 2013; one mask per mini-batch); {@code inputDropout} keeps its meaning. Needs
 *       a hidden layer.</li>
 *   <li>{@code batchNorm}: batch normalisation between each hidden layer's linear map and its ReLU (Ioffe and
 *       Szegedy 2015), with running statistics updated by {@code batchNormMomentum} in (0, 1] as PyTorch's
 *       {@code momentum} and {@code batchNormEpsilon} in (0, 1]. Needs a hidden layer and batches of at least
 *       2 rows (a last mini-batch of one row joins the one before it).</li>
 * </ul>
 */
public record TrainingConfig(List<Integer> hiddenLayers, List<Double> dropout, double inputDropout, int epochs,
                             int batchSize, double learningRate, Optimizer optimizer, double momentum, double l2,
                             double validationFraction, int earlyStoppingPatience, long seed, boolean standardize,
                             DataType dataType, boolean dropConnect, boolean batchNorm, double batchNormMomentum,
                             double batchNormEpsilon) {

    /** PyTorch's default momentum of the running statistics. */
    public static final double DEFAULT_BATCH_NORM_MOMENTUM = 0.1;

    public TrainingConfig {
        Objects.requireNonNull(hiddenLayers, "hiddenLayers");
        Objects.requireNonNull(dropout, "dropout");
        if (hiddenLayers.stream().anyMatch(Objects::isNull) || dropout.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("hiddenLayers and dropout must not contain null entries");
        }
        hiddenLayers = List.copyOf(hiddenLayers);
        dropout = List.copyOf(dropout);
        for (int units : hiddenLayers) {
            if (units < 1 || units > NetworkSpec.MAX_UNITS) {
                throw new IllegalArgumentException("hiddenLayers: each layer needs between 1 and "
                        + NetworkSpec.MAX_UNITS + " units, got " + units);
            }
        }
        if (dropout.size() != hiddenLayers.size()) {
            throw new IllegalArgumentException("dropout: give one probability per hidden layer; "
                    + hiddenLayers.size() + " hidden layers but " + dropout.size() + " probabilities");
        }
        for (double p : dropout) {
            Dropout.checkProbability("dropout", p);
        }
        Dropout.checkProbability("inputDropout", inputDropout);
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (!(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learningRate must be a finite number > 0, got " + learningRate);
        }
        Objects.requireNonNull(optimizer, "optimizer");
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(l2 >= 0 && Double.isFinite(l2))) {
            throw new IllegalArgumentException("l2 must be a finite number >= 0, got " + l2);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        if (earlyStoppingPatience < 0) {
            throw new IllegalArgumentException("earlyStoppingPatience must be >= 0 (0 turns early stopping off), got "
                    + earlyStoppingPatience);
        }
        Objects.requireNonNull(dataType, "dataType");
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("dataType must be FLOAT or DOUBLE, got " + dataType);
        }
        if (dropConnect && hiddenLayers.isEmpty()) {
            throw new IllegalArgumentException("dropConnect drops the weights into hidden units; it needs at least "
                    + "one hidden layer");
        }
        if (batchNorm && hiddenLayers.isEmpty()) {
            throw new IllegalArgumentException("batchNorm normalises hidden layers; it needs at least one hidden "
                    + "layer");
        }
        if (batchNorm && batchSize < 2) {
            throw new IllegalArgumentException("batchSize must be at least 2 with batchNorm (a batch's variance "
                    + "needs two rows), got " + batchSize);
        }
        if (!(batchNormMomentum > 0 && batchNormMomentum <= 1)) {
            throw new IllegalArgumentException("batchNormMomentum must be in (0, 1], got " + batchNormMomentum);
        }
        if (!(batchNormEpsilon > 0 && batchNormEpsilon <= 1)) {
            throw new IllegalArgumentException("batchNormEpsilon must be in (0, 1], got " + batchNormEpsilon);
        }
    }

    /** Plain dropout: no DropConnect, no batch norm. */
    public TrainingConfig(List<Integer> hiddenLayers, List<Double> dropout, double inputDropout, int epochs,
                          int batchSize, double learningRate, Optimizer optimizer, double momentum, double l2,
                          double validationFraction, int earlyStoppingPatience, long seed, boolean standardize,
                          DataType dataType) {
        this(hiddenLayers, dropout, inputDropout, epochs, batchSize, learningRate, optimizer, momentum, l2,
                validationFraction, earlyStoppingPatience, seed, standardize, dataType, false, false,
                DEFAULT_BATCH_NORM_MOMENTUM, BatchNorm.DEFAULT_EPSILON);
    }

    /**
     * What a user gets who sends only a data set: one hidden layer of 256 ReLU units with dropout 0.3 and
     * none on the input, Adam at 2e-3, mini-batches of 64, L2 1e-4, up to 200 epochs with early stopping
     * (patience 15) on a stratified 20% validation split, standardised features, FLOAT, seed 1.
     *
     * <p>Why: one wide layer is enough for small tabular data and trains in seconds on two cores;
     * p = 0.3 regularises without starving a network trained on a few hundred rows (the tutorial's p = 0.5
     * suits large hidden layers and needed about twice the epochs here) and still leaves Monte Carlo dropout
     * real spread to measure; batches of 64 halve the per-step overhead against 32 at no cost in accuracy,
     * and Adam at 2e-3 makes up for the fewer steps. The epoch budget is generous because early stopping
     * ends most runs well before it and returns the best-validation weights. On the bundled digits data
     * (an 80% stratified training part, of which 20% is the validation split) this stops after 60-120
     * epochs with 0.975-0.98 held-out accuracy in test mode, a few seconds on two cores (see
     * {@code DigitsTrainingTest}); hidden 128 with p = 0.2 was as fast but closer to 0.97, p = 0.5 and
     * batches of 32 at 1e-3 no better and 3-4x slower.
     */
    public static TrainingConfig defaults() {
        return new TrainingConfig(List.of(256), List.of(0.3), 0.0, 200, 64, 2e-3, Optimizer.ADAM, 0.9, 1e-4,
                0.2, 15, 1L, true, DataType.FLOAT);
    }

    /** The network shape this config trains for the given input width and class count. */
    public NetworkSpec spec(int inputs, int classes) {
        return new NetworkSpec(inputs, hiddenLayers, classes, inputDropout, dropout, dropConnect, batchNorm);
    }

    public TrainingConfig withSeed(long newSeed) {
        return new TrainingConfig(hiddenLayers, dropout, inputDropout, epochs, batchSize, learningRate, optimizer,
                momentum, l2, validationFraction, earlyStoppingPatience, newSeed, standardize, dataType, dropConnect, batchNorm,
                batchNormMomentum, batchNormEpsilon);
    }

    public TrainingConfig withEpochs(int newEpochs) {
        return new TrainingConfig(hiddenLayers, dropout, inputDropout, newEpochs, batchSize, learningRate, optimizer,
                momentum, l2, validationFraction, earlyStoppingPatience, seed, standardize, dataType, dropConnect, batchNorm,
                batchNormMomentum, batchNormEpsilon);
    }

    public TrainingConfig withDataType(DataType newDataType) {
        return new TrainingConfig(hiddenLayers, dropout, inputDropout, epochs, batchSize, learningRate, optimizer,
                momentum, l2, validationFraction, earlyStoppingPatience, seed, standardize, newDataType, dropConnect,
                batchNorm, batchNormMomentum, batchNormEpsilon);
    }

    /** The same run with DropConnect and batch norm switched as given (momentum and epsilon kept). */
    public TrainingConfig withVariants(boolean newDropConnect, boolean newBatchNorm) {
        return new TrainingConfig(hiddenLayers, dropout, inputDropout, epochs, batchSize, learningRate, optimizer,
                momentum, l2, validationFraction, earlyStoppingPatience, seed, standardize, dataType, newDropConnect,
                newBatchNorm, batchNormMomentum, batchNormEpsilon);
    }

    /** The same probability {@code p} on every hidden layer of the given sizes. */
    public TrainingConfig withHiddenLayers(List<Integer> sizes, double p) {
        return new TrainingConfig(sizes, sizes.stream().map(s -> p).toList(), inputDropout, epochs, batchSize,
                learningRate, optimizer, momentum, l2, validationFraction, earlyStoppingPatience, seed, standardize,
                dataType, dropConnect, batchNorm, batchNormMomentum, batchNormEpsilon);
    }

    public TrainingConfig withEarlyStopping(double newValidationFraction, int newPatience) {
        return new TrainingConfig(hiddenLayers, dropout, inputDropout, epochs, batchSize, learningRate, optimizer,
                momentum, l2, newValidationFraction, newPatience, seed, standardize, dataType, dropConnect, batchNorm,
                batchNormMomentum, batchNormEpsilon);
    }

}
