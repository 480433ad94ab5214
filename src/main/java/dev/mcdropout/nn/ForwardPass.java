package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

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
}
