package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An immutable multi-layer perceptron with inverted dropout: standardisation, dense layers with ReLU on
 * hidden layers and a linear output layer producing class scores. Dropout site {@code i} is the input of
 * layer {@code i}: site 0 uses {@link #inputDropout()}, site {@code i > 0} the dropout of layer
 * {@code i - 1}, unless that layer uses DropConnect, whose probability drops its weights instead
 * ({@link #weightDropoutAt}). Hidden layers may batch-normalise their linear output ({@link BatchNorm}); in
 * prediction that is a fixed affine map per unit, which {@link #folded()} folds into the weights and biases.
 *
 * <p>The constructor copies every array and nothing hands out an internal one, so a network can be shared
 * between threads without locking and a new version is published by swapping the reference.
 */
public final class Network {

    private final List<Layer> layers;
    private final double inputDropout;
    private final Standardization standardization;
    private final List<String> classes;
    private final DataType dataType;
    private final INDArray featureMean;
    private final INDArray featureScale;
    private final double[] mean;
    private final double[] inverseStd;
    private final double[][] biasValues;
    private final float[][] floatBiasValues;
    private final boolean dropConnect;
    private final boolean batchNorm;
    private final Network folded;
    /**
     * The output layer's weights as {@link SkinnyOutput} lays them out, made on first use: the network never
     * changes, so they need not be laid out again per request. A race makes equal copies; either is kept.
     */
    private volatile Object packedOutput;

    public Network(List<Layer> layers, double inputDropout, Standardization standardization, List<String> classes) {
        Objects.requireNonNull(layers, "layers");
        Objects.requireNonNull(standardization, "standardization");
        Objects.requireNonNull(classes, "classes");
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        Dropout.checkProbability("inputDropout", inputDropout);
        DataType type = layers.get(0).weights().dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("weights must be FLOAT or DOUBLE, got " + type);
        }
        List<Layer> copies = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            if (layer.weights().dataType() != type || layer.bias().dataType() != type) {
                throw new IllegalArgumentException("layer " + i + " is not " + type + " like layer 0");
            }
            if (i > 0 && layer.inputs() != layers.get(i - 1).outputs()) {
                throw new IllegalArgumentException("layer " + i + " takes " + layer.inputs() + " inputs but layer "
                        + (i - 1) + " gives " + layers.get(i - 1).outputs());
            }
            if (!allFinite(layer.weights()) || !allFinite(layer.bias())) {
                throw new IllegalArgumentException("layer " + i + " has a NaN or infinite weight or bias");
            }
            BatchNorm bn = layer.batchNorm();
            if (bn != null) {
                if (!allFinite(bn.gamma()) || !allFinite(bn.beta()) || !allFinite(bn.runningMean())
                        || !allFinite(bn.runningVar())) {
                    throw new IllegalArgumentException("layer " + i + " has a NaN or infinite batch norm value");
                }
                if (bn.runningVar().minNumber().doubleValue() < 0) {
                    throw new IllegalArgumentException("layer " + i + " has a negative batch norm running variance");
                }
            }
            copies.add(layer.copy());
        }
        Layer last = copies.get(copies.size() - 1);
        if (last.activation() != Activation.LINEAR || last.dropout() != 0.0) {
            throw new IllegalArgumentException("the output layer must be linear without dropout");
        }
        if (last.dropConnect() || last.batchNorm() != null) {
            throw new IllegalArgumentException("the output layer has neither DropConnect nor batch norm");
        }
        if (classes.size() != last.outputs()) {
            throw new IllegalArgumentException(classes.size() + " classes but the output layer has "
                    + last.outputs() + " units");
        }
        if (new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException("class labels must be distinct");
        }
        if (standardization.features() != copies.get(0).inputs()) {
            throw new IllegalArgumentException("standardization has " + standardization.features()
                    + " features but the first layer takes " + copies.get(0).inputs());
        }
        this.layers = List.copyOf(copies);
        this.dropConnect = copies.stream().anyMatch(l -> l.weightDropout() > 0.0);
        this.batchNorm = copies.stream().anyMatch(l -> l.batchNorm() != null);
        this.inputDropout = inputDropout;
        this.standardization = standardization;
        this.classes = List.copyOf(classes);
        this.dataType = type;
        double[] inverse = standardization.std();
        for (int j = 0; j < inverse.length; j++) {
            inverse[j] = 1.0 / inverse[j];
            if (type == DataType.FLOAT && Float.isInfinite((float) inverse[j])) {
                // Standardisation multiplies by 1/std in the network's type: this feature would turn every
                // prediction into NaN.
                throw new IllegalArgumentException("standardization std of feature " + j + " is " + (1.0 / inverse[j])
                        + ": its reciprocal overflows float32, so every prediction would be NaN; a float32 model "
                        + "needs std >= " + (1.0 / Float.MAX_VALUE));
            }
        }
        this.featureMean = Nd4j.create(standardization.mean(), new long[] {1, inverse.length}, type);
        this.featureScale = Nd4j.create(inverse, new long[] {1, inverse.length}, type);
        this.mean = standardization.mean();
        this.inverseStd = inverse;
        // Java copies of the biases for the predictor's fused element-wise passes, made once per network.
        this.biasValues = new double[copies.size()][];
        this.floatBiasValues = new float[copies.size()][];
        for (int i = 0; i < copies.size(); i++) {
            biasValues[i] = copies.get(i).bias().castTo(DataType.DOUBLE).toDoubleVector();
            floatBiasValues[i] = copies.get(i).bias().castTo(DataType.FLOAT).toFloatVector();
        }
        this.folded = batchNorm ? fold(copies, inputDropout, standardization, classes) : this;
    }

    /**
     * The same network in prediction mode with every batch norm folded into its layer: with
     * {@code s = gamma / sqrt(runningVar + epsilon)}, {@code W' = W * s} (per column) and
     * {@code b' = (b - runningMean) * s + beta}, computed in double precision and rounded once to the network's
     * type. DropConnect commutes with the per-column scale, so masks apply to {@code W'} unchanged.
     */
    private static Network fold(List<Layer> layers, double inputDropout, Standardization standardization,
                                List<String> classes) {
        List<Layer> folded = new ArrayList<>(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            BatchNorm bn = layer.batchNorm();
            if (bn == null) {
                folded.add(layer);
                continue;
            }
            DataType type = layer.weights().dataType();
            INDArray scale = bn.gamma().castTo(DataType.DOUBLE).div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(
                    bn.runningVar().castTo(DataType.DOUBLE).add(bn.epsilon()), false));
            INDArray w = layer.weights().castTo(DataType.DOUBLE).mulRowVector(scale).castTo(type);
            INDArray b = layer.bias().castTo(DataType.DOUBLE).subRowVector(bn.runningMean().castTo(DataType.DOUBLE))
                    .muliRowVector(scale).addiRowVector(bn.beta().castTo(DataType.DOUBLE)).castTo(type);
            if (!allFinite(w) || !allFinite(b)) {
                throw new IllegalArgumentException("layer " + i + ": its batch norm (gamma / sqrt(runningVar + "
                        + "epsilon)) scales its weights beyond the range of " + type);
            }
            folded.add(new Layer(w, b, layer.activation(), layer.dropout(), layer.dropConnect(), null));
        }
        return new Network(folded, inputDropout, standardization, classes);
    }

    /**
     * A network of the given shape with He initialisation (He et al. 2015: weights ~ N(0, 2 / fan_in),
     * biases 0), drawn from {@code seed} alone so that it is the same on every machine and thread count.
     */
    public static Network initialize(NetworkSpec spec, List<String> classes, Standardization standardization,
                                     DataType type, long seed) {
        return initialize(spec, classes, standardization, type, seed, BatchNorm.DEFAULT_EPSILON);
    }

    /**
     * As {@link #initialize(NetworkSpec, List, Standardization, DataType, long)}; hidden layers of a
     * {@code spec.batchNorm()} network start with gamma 1, beta 0, running mean 0, running variance 1 and
     * the given epsilon.
     */
    public static Network initialize(NetworkSpec spec, List<String> classes, Standardization standardization,
                                     DataType type, long seed, double batchNormEpsilon) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        int in = spec.inputs();
        for (int i = 0; i <= spec.hidden().size(); i++) {
            boolean output = i == spec.hidden().size();
            int out = output ? spec.outputs() : spec.hidden().get(i);
            double sigma = Math.sqrt(2.0 / in);
            double[] w = new double[Math.multiplyExact(in, out)];
            for (int k = 0; k < w.length; k++) {
                w[k] = gaussian(random) * sigma;
            }
            layers.add(new Layer(Nd4j.create(w, new long[] {in, out}, type), Nd4j.zeros(type, 1, out),
                    output ? Activation.LINEAR : Activation.RELU, output ? 0.0 : spec.hiddenDropout().get(i),
                    !output && spec.dropConnect(),
                    !output && spec.batchNorm() ? BatchNorm.initial(out, type, batchNormEpsilon) : null));
            in = out;
        }
        return new Network(layers, spec.inputDropout(), standardization, classes);
    }

    public NetworkSpec spec() {
        List<Integer> hidden = new ArrayList<>();
        List<Double> dropout = new ArrayList<>();
        for (int i = 0; i < layers.size() - 1; i++) {
            hidden.add(layers.get(i).outputs());
            dropout.add(layers.get(i).dropout());
        }
        return new NetworkSpec(inputs(), hidden, outputs(), inputDropout, dropout, dropConnect, batchNorm);
    }

    /** Whether some layer's dropout drops its weights (DropConnect) rather than its outputs. */
    public boolean hasDropConnect() {
        return dropConnect;
    }

    /** Whether some layer batch-normalises its linear output. */
    public boolean hasBatchNorm() {
        return batchNorm;
    }

    /**
     * This network as it predicts, with every batch norm folded into its layer's weights and bias (see
     * {@link #fold}); the network itself when it has no batch norm. The same in prediction mode up to
     * rounding; the Monte Carlo passes run on it.
     */
    public Network folded() {
        return folded;
    }

    public int inputs() {
        return layers.get(0).inputs();
    }

    public int outputs() {
        return layers.get(layers.size() - 1).outputs();
    }

    public int layerCount() {
        return layers.size();
    }

    public double inputDropout() {
        return inputDropout;
    }

    /**
     * Unit dropout probability at site {@code i}, the input of layer {@code i}: 0 after a DropConnect layer,
     * whose probability drops weights instead.
     */
    public double dropoutAt(int site) {
        return site == 0 ? inputDropout : layers.get(site - 1).unitDropout();
    }

    /** Probability of dropping each weight of layer {@code i} (DropConnect), 0 for a layer without it. */
    public double weightDropoutAt(int layer) {
        return layers.get(layer).weightDropout();
    }

    public Standardization standardization() {
        return standardization;
    }

    public List<String> classes() {
        return classes;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Copies of the layers, in order. */
    public List<Layer> layers() {
        return layers.stream().map(Layer::copy).toList();
    }

    /** The layer itself, for code in this package that promises not to change it. */
    Layer layer(int i) {
        return layers.get(i);
    }

    /** Bias of layer {@code i} in Java memory; shared, so callers in this package must not change it. */
    double[] biasValues(int i) {
        return biasValues[i];
    }

    float[] floatBiasValues(int i) {
        return floatBiasValues[i];
    }


    /** The output layer's weights laid out for {@link SkinnyOutput}; shared, so callers must not change them. */
    Object packedOutput() {
        Object packed = packedOutput;
        if (packed == null) {
            packed = SkinnyOutput.pack(layers.get(layers.size() - 1).weights());
            packedOutput = packed;
        }
        return packed;
    }

    /**
     * Raw rows standardised into a fresh matrix of this network's data type, in one pass in Java and one bulk
     * copy: for a handful of rows that is far cheaper than three ND4J operations.
     */
    public INDArray standardizedMatrix(double[][] rows) {
        return standardizedMatrix(RowMatrix.of(rows, inputs()));
    }

    /** {@link #standardizedMatrix(double[][])} of rows held in one flat block. */
    public INDArray standardizedMatrix(RowMatrix raw) {
        int d = inputs();
        int n = raw.rows();
        if (n == 0) {
            throw new IllegalArgumentException("expected at least one row");
        }
        if (raw.columns() != d) {
            throw new IllegalArgumentException("each row needs " + d + " features, got " + raw.columns());
        }
        INDArray out = Nd4j.createUninitialized(dataType, new long[] {n, d}, 'c');
        standardizeInto(raw, out);
        return out;
    }

    /**
     * {@link #standardizedMatrix(RowMatrix)} written into {@code out}, a c-ordered {@code rows x inputs} matrix
     * of this network's data type (a pooled buffer: the predictor lends one per request rather than
     * allocating native memory for a few hundred values).
     */
    void standardizeInto(RowMatrix raw, INDArray out) {
        int d = inputs();
        int n = raw.rows();
        if (out.rows() != n || out.columns() != d || out.dataType() != dataType || out.ordering() != 'c') {
            throw new IllegalArgumentException("expected a c-ordered " + n + " x " + d + " " + dataType + " matrix");
        }
        double[] in = raw.values();
        // One row of scratch and a bulk copy per row: no heap copy of the whole matrix.
        if (dataType == DataType.FLOAT) {
            FloatBuffer target = out.data().asNioFloat();
            float[] values = new float[d];
            for (int r = 0, i = 0; r < n; r++) {
                for (int j = 0; j < d; j++, i++) {
                    values[j] = (float) ((in[i] - mean[j]) * inverseStd[j]);
                    if (!Float.isFinite(values[j])) {
                        throw outOfRange(in[i], r, j);
                    }
                }
                target.put(r * d, values, 0, d);
            }
        } else {
            DoubleBuffer target = out.data().asNioDouble();
            double[] values = new double[d];
            for (int r = 0, i = 0; r < n; r++) {
                for (int j = 0; j < d; j++, i++) {
                    values[j] = (in[i] - mean[j]) * inverseStd[j];
                    if (!Double.isFinite(values[j])) {
                        throw outOfRange(in[i], r, j);
                    }
                }
                target.put(r * d, values, 0, d);
            }
        }
    }

    private InputOutOfRangeException outOfRange(double value, int row, int feature) {
        double limit = (dataType == DataType.FLOAT ? Float.MAX_VALUE : Double.MAX_VALUE) / inverseStd[feature];
        return new InputOutOfRangeException(row, feature, "row " + row + ", feature " + feature + ": " + value
                + " standardises to infinity in " + (dataType == DataType.FLOAT ? "float32" : "float64")
                + " (this model divides by std " + (1.0 / inverseStd[feature]) + "); send values within "
                + (float) (mean[feature] - limit) + " .. " + (float) (mean[feature] + limit));
    }

    private static void checkRow(double[] row, int inputs) {
        if (row.length != inputs) {
            throw new IllegalArgumentException("each row needs " + inputs + " features, got " + row.length);
        }
    }

    /** Raw rows (unstandardised) as a fresh matrix of this network's data type. */
    public INDArray toMatrix(double[][] rows) {
        for (double[] row : rows) {
            checkRow(row, inputs());
        }
        return Nd4j.create(rows).castTo(dataType);
    }

    /** {@code (x - mean) / std} as a fresh array. */
    public INDArray standardize(INDArray raw) {
        checkColumns(raw);
        INDArray x = raw.castTo(dataType).subRowVector(featureMean).muliRowVector(featureScale);
        if (!allFinite(x)) {
            throw new InputOutOfRangeException(-1, -1, "a feature value standardises to infinity in "
                    + dataType + "; send smaller values");
        }
        return x;
    }

    /** Class scores in test mode (no unit dropped or scaled) for raw rows. */
    public INDArray scores(INDArray raw) {
        return forward(standardize(raw), null).scores();
    }

    /** Softmax probabilities in test mode for raw rows. */
    public INDArray probabilities(INDArray raw) {
        return softmax(scores(raw));
    }

    /**
     * A forward pass on already standardised rows. {@code masks.get(i)}, when present and not null, is the
     * scaled dropout mask ({@code keep / (1 - p)}) for site {@code i}; a null list means test mode. Batch
     * norm uses the running statistics (prediction mode) and weights are not dropped.
     */
    public ForwardPass forward(INDArray x, List<INDArray> masks) {
        return forward(x, masks, null, false);
    }

    /**
     * A forward pass with scaled DropConnect masks too: {@code weightMasks.get(i)}, when present and not null,
     * multiplies layer {@code i}'s weights. {@code batchStatistics}: batch norm normalises with the rows'
     * own mean and variance (training mode) instead of the running ones.
     */
    public ForwardPass forward(INDArray x, List<INDArray> masks, List<INDArray> weightMasks, boolean batchStatistics) {
        checkColumns(x);
        return ForwardPass.compute(x.castTo(dataType), layers, masks, weightMasks, batchStatistics);
    }

    /** Row-wise softmax ({@link Probabilities#softmax}) as a fresh array of the scores' data type. */
    public static INDArray softmax(INDArray scores) {
        int rows = (int) scores.rows();
        int classes = (int) scores.columns();
        double[] s = Loss.toDoubles(scores);
        double[] p = new double[s.length];
        for (int r = 0; r < rows; r++) {
            Probabilities.softmax(s, r * classes, classes, p, r * classes);
        }
        return Nd4j.create(p, new long[] {rows, classes}, scores.dataType());
    }

    private void checkColumns(INDArray x) {
        if (x.rank() != 2 || x.columns() != inputs()) {
            throw new IllegalArgumentException("expected rows of " + inputs() + " features, got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
    }

    private static boolean allFinite(INDArray a) {
        return !a.isInfinite().any() && !a.isNaN().any();
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller on our own generator: java.util.Random#nextGaussian would tie us to its state layout.
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
