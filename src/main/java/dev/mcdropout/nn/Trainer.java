package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mini-batch training of a dropout network (Srivastava et al. 2014) on mean softmax cross-entropy plus L2.
 * With DropConnect (Wan et al. 2013) each mini-batch draws one mask over each such layer's weights, shared by
 * its rows; with batch norm (Ioffe and Szegedy 2015) each mini-batch is normalised with its own statistics,
 * which also move the running statistics that validation and prediction use.
 *
 * <p>One run: a stratified validation split; standardisation fitted on the training split only; He
 * initialisation; then per epoch a fresh shuffle, mini-batches with inverted-dropout masks, a
 * {@link Backprop} pass and an optimiser step ({@link Adam} or {@link Sgd}); then validation loss and
 * accuracy in test mode, the progress callback, and early stopping with the best weights restored.
 *
 * <p>Reproducible: every random choice (split, initial weights, shuffles, masks) comes from a
 * {@link SplittableRandom} derived from {@code config.seed()}, never ND4J's generator, so the same data,
 * config and seed give bit-identical weights on one machine at one BLAS thread count. The matrix products
 * are BLAS's, whose kernels (and so the order of each sum) depend on the CPU, the shapes and the thread
 * count: elsewhere the weights agree to rounding, a difference that grows with every step.
 *
 * <p>Stateless; one instance can run several trainings, on different threads, at once.
 */
public final class Trainer {

    /** Rows per test-mode pass when evaluating the validation split, to bound memory. */
    private static final int EVALUATION_ROWS = 4096;

    /**
     * Trains a network on {@code data}. {@code listener} hears about every finished epoch (1-based) on
     * this thread; {@code cancelled} is polled before every mini-batch and every validation chunk, and
     * when it returns true training stops with {@link TrainingCancelledException}.
     *
     * <p>History: {@code loss} and {@code trainAccuracy} are means over the epoch's mini-batches as trained
     * (dropout on, before each step, cross-entropy without the L2 term); validation loss and accuracy are
     * measured in test mode after the epoch. The result holds the returned weights' epoch and validation
     * figures (NaN when there is no validation split).
     *
     * @throws IllegalArgumentException if the data set has no rows
     * @throws TrainingDivergedException if the loss stops being a finite number (learning rate too high)
     */
    public TrainingResult train(Dataset data, TrainingConfig config, TrainingListener listener,
                                BooleanSupplier cancelled) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(cancelled, "cancelled");
        if (data.size() == 0) {
            throw new IllegalArgumentException("the data set has no rows");
        }
        Seeds seeds = new Seeds(config.seed());
        Dataset train = data;
        Dataset validation = null;
        if (config.validationFraction() > 0) {
            Dataset.Split split = data.stratifiedSplit(config.validationFraction(), seeds.split());
            train = split.train();
            validation = split.heldOut().size() > 0 ? split.heldOut() : null;
        }
        long initSeed = seeds.initialisation();
        long shuffleSeed = seeds.shuffle();
        long maskSeed = seeds.masks();
        int features = data.featureCount();
        if ((long) data.size() * features > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the data set has " + data.size() + " rows of " + features
                    + " features; rows times features must stay below 2^31");
        }
        Standardization standardization = config.standardize()
                ? Standardization.fit(train.rows()) : Standardization.identity(features);
        DataType type = config.dataType();
        Network initial = Network.initialize(config.spec(features, data.classes().size()), data.classes(),
                standardization, type, initSeed, config.batchNormEpsilon());
        Parameters params = Parameters.copyOf(initial);
        ParameterUpdate update = ParameterUpdate.of(config);

        // Standardised once by the network's own transform (as served), then kept as Java rows from which
        // each mini-batch is copied out with one native call.
        double[] trainX = Loss.toDoubles(initial.standardize(initial.toMatrix(train.rows())));
        int[] trainY = train.labels();
        INDArray validationX = validation == null ? null : initial.standardize(initial.toMatrix(validation.rows()));
        int[] validationY = validation == null ? null : validation.labels();

        int n = trainY.length;
        if (config.batchNorm() && n < 2) {
            throw new IllegalArgumentException("batch norm needs at least 2 training rows, the training split has " + n);
        }
        int batchSize = Math.min(config.batchSize(), n);
        int batches = (n + batchSize - 1) / batchSize;
        if (config.batchNorm() && batches > 1 && n % batchSize == 1) {
            // A batch of one row has no variance to normalise with: it joins the batch before it.
            batches--;
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom shuffle = new SplittableRandom(shuffleSeed);
        boolean earlyStopping = validation != null && config.earlyStoppingPatience() > 0;

        List<Double> loss = new ArrayList<>();
        List<Double> trainAccuracy = new ArrayList<>();
        List<Double> validationLoss = new ArrayList<>();
        List<Double> validationAccuracy = new ArrayList<>();
        Parameters best = null;
        int bestEpoch = 0;
        double bestLoss = Double.POSITIVE_INFINITY;
        double bestAccuracy = Double.NaN;
        int lastEpoch = 0;

        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
            shuffle(order, shuffle);
            double lossSum = 0.0;
            long correct = 0;
            for (int b = 0; b < batches; b++) {
                if (cancelled.getAsBoolean()) {
                    throw new TrainingCancelledException(epoch);
                }
                int from = b * batchSize;
                int rows = (b == batches - 1 ? n : Math.min(n, from + batchSize)) - from;
                double[] batch = new double[rows * features];
                int[] y = new int[rows];
                for (int k = 0; k < rows; k++) {
                    int row = order[from + k];
                    System.arraycopy(trainX, row * features, batch, k * features, features);
                    y[k] = trainY[row];
                }
                long stream = ((long) epoch << 32) | b;
                ForwardPass pass = params.forward(Nd4j.create(batch, new long[] {rows, features}, type),
                        masks(initial, maskSeed, stream, rows), weightMasks(initial, maskSeed, stream), true);
                Loss.Result result = Loss.crossEntropy(pass.scores(), y);
                lossSum += result.lossSum();
                correct += result.correct(y);
                Gradients gradients = Backprop.gradients(params.layers(), pass, result.dscores(), config.l2());
                params.updateRunningStatistics(pass, config.batchNormMomentum());
                update.step(List.of(params.flat()), List.of(Parameters.flatten(gradients.interleaved())));
            }
            double epochLoss = lossSum / n;
            if (!Double.isFinite(epochLoss)) {
                throw new TrainingDivergedException(epoch, epochLoss);
            }
            loss.add(epochLoss);
            trainAccuracy.add((double) correct / n);
            lastEpoch = epoch;
            if (validation != null) {
                double[] measured = evaluate(params, validationX, validationY, cancelled, epoch);
                if (!Double.isFinite(measured[0])) {
                    throw new TrainingDivergedException(epoch, measured[0]);
                }
                validationLoss.add(measured[0]);
                validationAccuracy.add(measured[1]);
                if (measured[0] < bestLoss) {
                    bestLoss = measured[0];
                    bestAccuracy = measured[1];
                    bestEpoch = epoch;
                    if (earlyStopping) {
                        best = params.copy();
                    }
                }
            }
            listener.onEpoch(epoch, config.epochs(), history(loss, trainAccuracy, validationLoss, validationAccuracy));
            if (earlyStopping && epoch - bestEpoch >= config.earlyStoppingPatience()) {
                break;
            }
        }

        TrainingHistory history = history(loss, trainAccuracy, validationLoss, validationAccuracy);
        if (earlyStopping) {
            return new TrainingResult(best.toNetwork(), history, bestEpoch, bestLoss, bestAccuracy);
        }
        double lastLoss = validation == null ? Double.NaN : validationLoss.get(lastEpoch - 1);
        double lastAccuracy = validation == null ? Double.NaN : validationAccuracy.get(lastEpoch - 1);
        return new TrainingResult(params.toNetwork(), history, lastEpoch, lastLoss, lastAccuracy);
    }

    /**
     * The training/validation split {@link #train} makes of {@code data} under {@code config}; the held-out
     * part is the validation split (empty when {@code validationFraction == 0} or the classes are too small
     * to spare a row).
     */
    public static Dataset.Split split(Dataset data, TrainingConfig config) {
        if (config.validationFraction() == 0) {
            return new Dataset.Split(data, data.subset(List.of()));
        }
        return data.stratifiedSplit(config.validationFraction(), new Seeds(config.seed()).split());
    }

    /** Independent seeds for each random choice of a run, all derived from the config's seed. */
    private record Seeds(long split, long initialisation, long shuffle, long masks) {

        Seeds(long seed) {
            this(new SplittableRandom(seed));
        }

        private Seeds(SplittableRandom root) {
            this(root.nextLong(), root.nextLong(), root.nextLong(), root.nextLong());
        }
    }

    /**
     * Test-mode cross-entropy and accuracy of {@code network} on raw (unstandardised) rows, in chunks.
     * Returns {@code [loss, accuracy]}.
     */
    public static double[] evaluate(Network network, Dataset data) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("cannot evaluate on a data set without rows");
        }
        INDArray x = network.standardize(network.toMatrix(data.rows()));
        return evaluate(Parameters.copyOf(network), x, data.labels(), () -> false, 0);
    }

    private static double[] evaluate(Parameters params, INDArray x, int[] y, BooleanSupplier cancelled, int epoch) {
        double lossSum = 0.0;
        long correct = 0;
        for (int from = 0; from < y.length; from += EVALUATION_ROWS) {
            if (cancelled.getAsBoolean()) {
                throw new TrainingCancelledException(epoch);
            }
            int to = Math.min(y.length, from + EVALUATION_ROWS);
            INDArray chunk = from == 0 && to == y.length ? x
                    : x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                            org.nd4j.linalg.indexing.NDArrayIndex.all());
            int[] labels = Arrays.copyOfRange(y, from, to);
            Loss.Result result = Loss.crossEntropy(params.forward(chunk, null).scores(), labels);
            lossSum += result.lossSum();
            correct += result.correct(labels);
        }
        return new double[] {lossSum / y.length, (double) correct / y.length};
    }

    /** Scaled masks for every dropout site of one mini-batch; null where the site's p is 0. */
    private static List<INDArray> masks(Network shape, long seed, long stream, int rows) {
        List<INDArray> masks = new ArrayList<>(shape.layerCount());
        for (int site = 0; site < shape.layerCount(); site++) {
            int columns = site == 0 ? shape.inputs() : shape.layer(site - 1).outputs();
            masks.add(Dropout.scaledMask(seed, stream, site, rows, columns, shape.dropoutAt(site), shape.dataType()));
        }
        return masks;
    }

    /**
     * Scaled DropConnect masks over each layer's weights for one mini-batch, shared by all its rows, keyed on
     * the layer's weight site ({@link Dropout#weightSite}); null where the layer drops no weights.
     */
    private static List<INDArray> weightMasks(Network shape, long seed, long stream) {
        if (!shape.hasDropConnect()) {
            return null;
        }
        List<INDArray> masks = new ArrayList<>(shape.layerCount());
        for (int i = 0; i < shape.layerCount(); i++) {
            Layer layer = shape.layer(i);
            masks.add(Dropout.scaledMask(seed, stream, Dropout.weightSite(i), layer.inputs(), layer.outputs(),
                    layer.weightDropout(), shape.dataType()));
        }
        return masks;
    }

    /** Fisher-Yates, continuing from the previous epoch's order. */
    private static void shuffle(int[] order, SplittableRandom random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    private static TrainingHistory history(List<Double> loss, List<Double> trainAccuracy, List<Double> validationLoss,
                                           List<Double> validationAccuracy) {
        return new TrainingHistory(List.copyOf(loss), List.copyOf(trainAccuracy), List.copyOf(validationLoss),
                List.copyOf(validationAccuracy));
    }
}
