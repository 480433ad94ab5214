package dev.mcdropout.bench;

import dev.mcdropout.nn.Dropout;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.Standardization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The networks the benchmarks compare, built three ways from one random float32 network: our {@link Network},
 * a plain per-pass ND4J loop over it, and a DL4J {@link MultiLayerNetwork} with the same weights copied in.
 */
final class BenchNetworks {

    /** Dropout probability (of dropping a unit) on every hidden layer, as in issue 2. */
    static final double P = 0.5;

    private BenchNetworks() {
    }

    /** Parses "784-1024-1024-10" into inputs, hidden sizes and outputs. */
    static NetworkSpec spec(String shape) {
        int[] sizes = Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
        if (sizes.length < 2) {
            throw new IllegalArgumentException("shape needs at least inputs-outputs: " + shape);
        }
        List<Integer> hidden = IntStream.range(1, sizes.length - 1).mapToObj(i -> sizes[i]).toList();
        return NetworkSpec.of(sizes[0], hidden, sizes[sizes.length - 1], P);
    }

    static Network network(NetworkSpec spec, long seed) {
        List<String> classes = IntStream.range(0, spec.outputs()).mapToObj(i -> "c" + i).toList();
        return Network.initialize(spec, classes, Standardization.identity(spec.inputs()), DataType.FLOAT, seed);
    }

    /**
     * The same weights with DropConnect (Wan et al. 2013, issue 9): each hidden layer's p = 0.5 drops the weights
     * into its units, one mask per sample, instead of its output units.
     */
    static Network dropConnect(Network network) {
        List<Layer> layers = new ArrayList<>();
        List<Layer> plain = network.layers();
        for (int i = 0; i < plain.size(); i++) {
            Layer l = plain.get(i);
            layers.add(new Layer(l.weights(), l.bias(), l.activation(), l.dropout(), i < plain.size() - 1, null));
        }
        return new Network(layers, network.inputDropout(), network.standardization(), network.classes());
    }

    /**
     * The same network in DL4J. DL4J puts a layer's dropout on that layer's <em>input</em> and takes the
     * <em>retain</em> probability, so our "drop with p after hidden layer i" becomes {@code dropOut(1 - p)}
     * on layer i + 1. Weights are copied in and checked against our test-mode pass.
     */
    static MultiLayerNetwork dl4j(Network network, long seed) {
        List<Layer> layers = network.layers();
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .list();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            double dropInput = network.dropoutAt(i);
            boolean output = i == layers.size() - 1;
            if (output) {
                OutputLayer.Builder b = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(layer.inputs()).nOut(layer.outputs())
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX);
                if (dropInput > 0) {
                    b.dropOut(1.0 - dropInput);
                }
                list.layer(i, b.build());
            } else {
                DenseLayer.Builder b = new DenseLayer.Builder()
                        .nIn(layer.inputs()).nOut(layer.outputs())
                        .activation(org.nd4j.linalg.activations.Activation.RELU);
                if (dropInput > 0) {
                    b.dropOut(1.0 - dropInput);
                }
                list.layer(i, b.build());
            }
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        for (int i = 0; i < layers.size(); i++) {
            net.setParam(i + "_W", layers.get(i).weights());
            net.setParam(i + "_b", layers.get(i).bias());
        }
        return net;
    }

    /** Random rows in [0, 1), like scaled pixel intensities. */
    static INDArray rows(int count, int features, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, count, features);
    }

    /**
     * Checks that DL4J and our network agree in test mode and that DL4J really drops units with
     * {@code output(x, true)}; a benchmark of a misconfigured rival would be meaningless.
     */
    static void checkEquivalent(Network network, MultiLayerNetwork dl4j, INDArray x) {
        INDArray ours = network.probabilities(x);
        INDArray theirs = dl4j.output(x, false);
        double diff = Math.abs(ours.sub(theirs).maxNumber().doubleValue());
        diff = Math.max(diff, Math.abs(ours.sub(theirs).minNumber().doubleValue()));
        if (diff > 1e-4) {
            throw new IllegalStateException("DL4J and our network disagree in test mode by " + diff);
        }
        INDArray a = dl4j.output(x, true);
        INDArray b = dl4j.output(x, true);
        if (a.equalsWithEps(b, 0.0)) {
            throw new IllegalStateException("DL4J output(x, true) is deterministic: dropout is not applied");
        }
    }

    /**
     * Naive Monte Carlo dropout, the way one would first write it: N independent full forward passes of
     * B rows, masks drawn per pass (with the engine's own mask generator, so both draw the same kind of
     * masks), softmax, and a running sum and sum of squares for the mean and population std.
     */
    static INDArray[] naiveLoop(Network network, INDArray standardized, int samples, long seed) {
        int rows = (int) standardized.rows();
        List<Layer> layers = network.layers();
        int[] widths = new int[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            widths[i] = layers.get(i).inputs();
        }
        INDArray sum = Nd4j.zeros(DataType.FLOAT, rows, network.outputs());
        INDArray sumSq = Nd4j.zeros(DataType.FLOAT, rows, network.outputs());
        for (int t = 0; t < samples; t++) {
            List<INDArray> masks = new ArrayList<>(widths.length);
            for (int site = 0; site < widths.length; site++) {
                masks.add(Dropout.scaledMask(seed, t, site, rows, widths[site], network.dropoutAt(site),
                        DataType.FLOAT));
            }
            INDArray p = Network.softmax(network.forward(standardized, masks).scores());
            sum.addi(p);
            sumSq.addi(p.mul(p));
        }
        return meanAndStd(sum, sumSq, samples);
    }

    /** DL4J's way: {@code output(x, true)} N times, with the same running statistics as the naive loop. */
    static INDArray[] dl4jLoop(MultiLayerNetwork net, INDArray x, int samples) {
        INDArray sum = null;
        INDArray sumSq = null;
        for (int t = 0; t < samples; t++) {
            INDArray p = net.output(x, true);
            if (sum == null) {
                sum = p.dup();
                sumSq = p.mul(p);
            } else {
                sum.addi(p);
                sumSq.addi(p.mul(p));
            }
        }
        return meanAndStd(sum, sumSq, samples);
    }

    private static INDArray[] meanAndStd(INDArray sum, INDArray sumSq, int samples) {
        INDArray mean = sum.div(samples);
        INDArray var = sumSq.div(samples).subi(mean.mul(mean));
        return new INDArray[] {mean, org.nd4j.linalg.ops.transforms.Transforms.sqrt(
                org.nd4j.linalg.ops.transforms.Transforms.max(var, 0.0, false), false)};
    }

    /** One line on what ND4J runs on, printed in every fork so the report can quote it. */
    static String environment() {
        return "ND4J backend " + Nd4j.getBackend().getClass().getSimpleName()
                + ", BLAS vendor " + Nd4j.factory().blas().getBlasVendor()
                + ", BLAS threads " + Nd4j.factory().blas().getMaxThreads()
                + ", ND4J maxThreads " + Nd4j.getEnvironment().maxThreads()
                + ", maxMasterThreads " + Nd4j.getEnvironment().maxMasterThreads()
                + ", OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS")
                + ", availableProcessors " + Runtime.getRuntime().availableProcessors();
    }
}
