package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The trainer's own mutable copies of a network's weights and biases. Only the optimiser writes to them
 * (in place); a {@link Network} made from them by {@link #toNetwork} copies them again, so it never changes.
 */
final class Parameters {

    private final List<INDArray> weights;
    private final List<INDArray> biases;
    private final List<Activation> activations;
    private final List<Double> dropout;
    private final Network template;

    private Parameters(List<INDArray> weights, List<INDArray> biases, Network template) {
        this.weights = weights;
        this.biases = biases;
        this.template = template;
        this.activations = new ArrayList<>();
        this.dropout = new ArrayList<>();
        for (Layer layer : template.layers()) {
            activations.add(layer.activation());
            dropout.add(layer.dropout());
        }
    }

    /** Fresh copies of {@code network}'s parameters; the network also supplies shape and everything else. */
    static Parameters copyOf(Network network) {
        List<INDArray> w = new ArrayList<>();
        List<INDArray> b = new ArrayList<>();
        for (Layer layer : network.layers()) {
            w.add(layer.weights());
            b.add(layer.bias());
        }
        return new Parameters(w, b, network);
    }

    Parameters copy() {
        return new Parameters(weights.stream().map(INDArray::dup).toList(),
                biases.stream().map(INDArray::dup).toList(), template);
    }

    List<INDArray> weights() {
        return weights;
    }

    List<Activation> activations() {
        return activations;
    }

    /** {@code W0, b0, W1, b1, ...}, the arrays themselves, for the optimiser to update in place. */
    List<INDArray> interleaved() {
        List<INDArray> all = new ArrayList<>(2 * weights.size());
        for (int i = 0; i < weights.size(); i++) {
            all.add(weights.get(i));
            all.add(biases.get(i));
        }
        return all;
    }

    /** The same computation as {@link Network#forward}, on these parameters. */
    ForwardPass forward(INDArray x, List<INDArray> masks) {
        int layers = weights.size();
        List<INDArray> inputs = new ArrayList<>(layers);
        List<INDArray> pre = new ArrayList<>(layers);
        List<INDArray> used = new ArrayList<>(layers);
        INDArray in = x;
        for (int i = 0; i < layers; i++) {
            INDArray mask = masks == null ? null : masks.get(i);
            if (mask != null) {
                in = in.mul(mask);
            }
            used.add(mask);
            inputs.add(in);
            INDArray z = in.mmul(weights.get(i)).addiRowVector(biases.get(i));
            pre.add(z);
            in = activations.get(i) == Activation.RELU ? Transforms.relu(z, true) : z;
        }
        return new ForwardPass(inputs, pre, used, in);
    }

    /** An immutable network with copies of the current parameters. */
    Network toNetwork() {
        List<Layer> layers = new ArrayList<>(weights.size());
        for (int i = 0; i < weights.size(); i++) {
            layers.add(new Layer(weights.get(i), biases.get(i), activations.get(i), dropout.get(i)));
        }
        return new Network(layers, template.inputDropout(), template.standardization(), template.classes());
    }
}
