package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What a forward pass leaves for backpropagation. Index {@code i} refers to layer {@code i}:
 * {@code inputs[i]} is what layer {@code i} multiplied (after dropout), {@code preActivations[i]} its
 * {@code in @ W + b}, and {@code masks[i]} the scaled dropout mask applied to its input, or null where no
 * dropout was applied.
 */
public record ForwardPass(List<INDArray> inputs, List<INDArray> preActivations, List<INDArray> masks,
                          INDArray scores) {

    public ForwardPass {
        inputs = List.copyOf(inputs);
        preActivations = List.copyOf(preActivations);
        masks = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(masks));
    }

    /**
     * The forward pass of a stack of dense layers, shared by {@link Network#forward} and the trainer's own
     * parameters: layer {@code i} multiplies its input, after the scaled mask {@code masks.get(i)} where that
     * is present and not null, adds its bias and applies its activation. {@code x} is not changed.
     */
    static ForwardPass compute(INDArray x, List<INDArray> weights, List<INDArray> biases,
                               List<Activation> activations, List<INDArray> masks) {
        int layers = weights.size();
        List<INDArray> inputs = new ArrayList<>(layers);
        List<INDArray> pre = new ArrayList<>(layers);
        List<INDArray> used = new ArrayList<>(layers);
        INDArray in = x;
        for (int i = 0; i < layers; i++) {
            INDArray mask = masks == null || i >= masks.size() ? null : masks.get(i);
            if (mask != null) {
                in = in.mul(mask.castTo(in.dataType()));
            }
            used.add(mask);
            inputs.add(in);
            INDArray z = in.mmul(weights.get(i)).addiRowVector(biases.get(i));
            pre.add(z);
            in = activations.get(i) == Activation.RELU ? Transforms.relu(z, true) : z;
        }
        return new ForwardPass(inputs, pre, used, in);
    }
}
