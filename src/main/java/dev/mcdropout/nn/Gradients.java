package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients of the loss with respect to each layer's weights ([inputs, outputs]) and bias ([1, outputs]),
 * in layer order. The arrays are fresh and belong to the caller.
 */
public record Gradients(List<INDArray> weights, List<INDArray> biases) {

    public Gradients {
        if (weights.size() != biases.size()) {
            throw new IllegalArgumentException(weights.size() + " weight gradients but " + biases.size() + " bias gradients");
        }
        weights = List.copyOf(weights);
        biases = List.copyOf(biases);
    }

    /** Interleaved as {@code W0, b0, W1, b1, ...}, the order the optimisers use. */
    public List<INDArray> interleaved() {
        List<INDArray> all = new ArrayList<>(2 * weights.size());
        for (int i = 0; i < weights.size(); i++) {
            all.add(weights.get(i));
            all.add(biases.get(i));
        }
        return all;
    }
}
