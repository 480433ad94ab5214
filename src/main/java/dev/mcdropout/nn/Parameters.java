package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trainer's own mutable copy of a network's parameters, all in one flat vector ({@code W0, b0, W1, b1, ...},
 * with {@code gamma_i, beta_i} right after {@code b_i} for a batch-normalised layer, each row-major) with each
 * layer's arrays as views into it, so that an optimiser updates every parameter with a handful of native calls
 * instead of a handful per array. Only the optimiser writes to {@link #flat()} (in place). Batch norm's running
 * statistics are not parameters: they live beside the flat vector and only
 * {@link #updateRunningStatistics} changes them. A {@link Network} made by {@link #toNetwork} copies the
 * arrays, so it never changes afterwards.
 */
final class Parameters {

    private final INDArray flat;
    private final List<INDArray> runningMeans;
    private final List<INDArray> runningVars;
    private final List<Layer> layers = new ArrayList<>();
    private final Network template;

    private Parameters(INDArray flat, List<INDArray> runningMeans, List<INDArray> runningVars, Network template) {
        this.flat = flat;
        this.runningMeans = runningMeans;
        this.runningVars = runningVars;
        this.template = template;
        long offset = 0;
        // The template's own layers, read for their shapes only: Network#layers() would copy every weight.
        for (int i = 0; i < template.layerCount(); i++) {
            Layer layer = template.layer(i);
            int in = layer.inputs();
            int out = layer.outputs();
            INDArray w = view(offset, (long) in * out).reshape('c', in, out);
            offset += (long) in * out;
            INDArray b = view(offset, out).reshape('c', 1, out);
            offset += out;
            BatchNorm bn = null;
            if (layer.batchNorm() != null) {
                INDArray gamma = view(offset, out).reshape('c', 1, out);
                offset += out;
                INDArray beta = view(offset, out).reshape('c', 1, out);
                offset += out;
                bn = new BatchNorm(gamma, beta, runningMeans.get(i), runningVars.get(i), layer.batchNorm().epsilon());
            }
            layers.add(new Layer(w, b, layer.activation(), layer.dropout(), layer.dropConnect(), bn));
        }
    }

    private INDArray view(long offset, long length) {
        return flat.get(NDArrayIndex.interval(offset, offset + length));
    }

    /** A fresh copy of {@code network}'s parameters; the network also supplies shape and everything else. */
    static Parameters copyOf(Network network) {
        List<INDArray> arrays = new ArrayList<>();
        List<INDArray> means = new ArrayList<>();
        List<INDArray> vars = new ArrayList<>();
        for (Layer layer : network.layers()) {
            arrays.add(layer.weights());
            arrays.add(layer.bias());
            BatchNorm bn = layer.batchNorm();
            if (bn != null) {
                arrays.add(bn.gamma());
                arrays.add(bn.beta());
            }
            means.add(bn == null ? null : bn.runningMean().dup('c'));
            vars.add(bn == null ? null : bn.runningVar().dup('c'));
        }
        return new Parameters(flatten(arrays), means, vars, network);
    }

    /** {@code arrays} laid end to end, row-major, as a fresh 1-d vector (the layout of {@link #flat()}). */
    static INDArray flatten(List<INDArray> arrays) {
        return Nd4j.toFlattened('c', arrays).reshape(-1);
    }

    Parameters copy() {
        return new Parameters(flat.dup(), dupAll(runningMeans), dupAll(runningVars), template);
    }

    private static List<INDArray> dupAll(List<INDArray> arrays) {
        List<INDArray> copies = new ArrayList<>(arrays.size());
        for (INDArray a : arrays) {
            copies.add(a == null ? null : a.dup('c'));
        }
        return copies;
    }

    /** Every parameter, in the order {@link #flatten} lays gradients out; the optimiser updates it in place. */
    INDArray flat() {
        return flat;
    }

    /** The layers as views of these parameters (and of the running statistics). */
    List<Layer> layers() {
        return layers;
    }

    /** {@link Network#forward}'s computation, on these parameters. */
    ForwardPass forward(INDArray x, List<INDArray> masks, List<INDArray> weightMasks, boolean batchStatistics) {
        return ForwardPass.compute(x, layers, masks, weightMasks, batchStatistics);
    }

    /** Unit dropout masks only (null: test mode), batch norm with the running statistics. */
    ForwardPass forward(INDArray x, List<INDArray> masks) {
        return forward(x, masks, null, false);
    }

    /**
     * Moves each batch norm's running statistics towards the mini-batch's, as PyTorch's {@code BatchNorm1d}:
     * {@code running = (1 - momentum) * running + momentum * batch}, the batch variance taken unbiased
     * ({@code m / (m - 1)} times the biased one the pass normalised with).
     */
    void updateRunningStatistics(ForwardPass pass, double momentum) {
        for (int i = 0; i < layers.size(); i++) {
            ForwardPass.Normalized bn = pass.batchNorm().get(i);
            if (bn == null || !bn.batchStatistics()) {
                continue;
            }
            long m = pass.inputs().get(i).rows();
            INDArray mean = runningMeans.get(i);
            INDArray var = runningVars.get(i);
            mean.muli(1.0 - momentum).addi(bn.mean().mul(momentum));
            var.muli(1.0 - momentum).addi(bn.variance().mul(momentum * m / (m - 1.0)));
        }
    }

    /** An immutable network with copies of the current parameters. */
    Network toNetwork() {
        List<Layer> copies = new ArrayList<>(layers.size());
        for (Layer layer : layers) {
            BatchNorm bn = layer.batchNorm();
            copies.add(new Layer(layer.weights().dup('c'), layer.bias().dup('c'), layer.activation(), layer.dropout(),
                    layer.dropConnect(), bn == null ? null : new BatchNorm(bn.gamma().dup('c'), bn.beta().dup('c'),
                            bn.runningMean().dup('c'), bn.runningVar().dup('c'), bn.epsilon())));
        }
        return new Network(copies, template.inputDropout(), template.standardization(), template.classes());
    }
}
