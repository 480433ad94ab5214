package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trainer's own mutable copy of a network's weights and biases, all in one flat vector
 * ({@code W0, b0, W1, b1, ...}, each row-major) with each layer's arrays as views into it, so that an
 * optimiser updates every parameter with a handful of native calls instead of a handful per array. Only the
 * optimiser writes to {@link #flat()} (in place); a {@link Network} made by {@link #toNetwork} copies the
 * arrays, so it never changes afterwards.
 */
final class Parameters {

    private final INDArray flat;
    private final List<INDArray> weights = new ArrayList<>();
    private final List<INDArray> biases = new ArrayList<>();
    private final List<Activation> activations = new ArrayList<>();
    private final List<Double> dropout = new ArrayList<>();
    private final Network template;

    private Parameters(INDArray flat, Network template) {
        this.flat = flat;
        this.template = template;
        long offset = 0;
        // The template's own layers, read for their shapes only: Network#layers() would copy every weight.
        for (int i = 0; i < template.layerCount(); i++) {
            Layer layer = template.layer(i);
            int in = layer.inputs();
            int out = layer.outputs();
            weights.add(flat.get(NDArrayIndex.interval(offset, offset + (long) in * out)).reshape('c', in, out));
            offset += (long) in * out;
            biases.add(flat.get(NDArrayIndex.interval(offset, offset + out)).reshape('c', 1, out));
            offset += out;
            activations.add(layer.activation());
            dropout.add(layer.dropout());
        }
    }

    /** A fresh copy of {@code network}'s parameters; the network also supplies shape and everything else. */
    static Parameters copyOf(Network network) {
        List<INDArray> arrays = new ArrayList<>();
        for (Layer layer : network.layers()) {
            arrays.add(layer.weights());
            arrays.add(layer.bias());
        }
        return new Parameters(flatten(arrays), network);
    }

    /** {@code arrays} laid end to end, row-major, as a fresh 1-d vector (the layout of {@link #flat()}). */
    static INDArray flatten(List<INDArray> arrays) {
        return Nd4j.toFlattened('c', arrays).reshape(-1);
    }

    Parameters copy() {
        return new Parameters(flat.dup(), template);
    }

    /** Every parameter, in the order {@link #flatten} lays gradients out; the optimiser updates it in place. */
    INDArray flat() {
        return flat;
    }

    List<INDArray> weights() {
        return weights;
    }

    List<Activation> activations() {
        return activations;
    }

    /** {@link Network#forward}'s computation, on these parameters. */
    ForwardPass forward(INDArray x, List<INDArray> masks) {
        return ForwardPass.compute(x, weights, biases, activations, masks);
    }

    /** An immutable network with copies of the current parameters. */
    Network toNetwork() {
        List<Layer> layers = new ArrayList<>(weights.size());
        for (int i = 0; i < weights.size(); i++) {
            layers.add(new Layer(weights.get(i).dup('c'), biases.get(i).dup('c'), activations.get(i), dropout.get(i)));
        }
        return new Network(layers, template.inputDropout(), template.standardization(), template.classes());
    }
}
