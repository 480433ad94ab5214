package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients of the loss with respect to each layer's weights ([inputs, outputs]) and bias ([1, outputs]),
 * and for a batch-normalised layer its {@code gamma} and {@code beta} ([1, outputs]; null entries for layers
 * without batch norm), in layer order. The arrays are fresh and belong to the caller.
 */
public record Gradients(List<INDArray> weights, List<INDArray> biases, List<INDArray> gammas, List<INDArray> betas) {

    public Gradients {
        if (weights.size() != biases.size() || gammas.size() != weights.size() || betas.size() != weights.size()) {
            throw new IllegalArgumentException(weights.size() + " weight gradients but " + biases.size()
                    + " bias, " + gammas.size() + " gamma and " + betas.size() + " beta gradients");
        }
        weights = List.copyOf(weights);
        biases = List.copyOf(biases);
        gammas = Collections.unmodifiableList(new ArrayList<>(gammas));
        betas = Collections.unmodifiableList(new ArrayList<>(betas));
    }

    /** Gradients of a network without batch norm. */
    public Gradients(List<INDArray> weights, List<INDArray> biases) {
        this(weights, biases, Arrays.asList(new INDArray[weights.size()]), Arrays.asList(new INDArray[weights.size()]));
    }

    /**
     * Interleaved as {@code W0, b0, W1, b1, ...}, with {@code gamma_i, beta_i} right after {@code b_i} for a
     * batch-normalised layer: the order the optimisers and the trainer's flat parameters use.
     */
    public List<INDArray> interleaved() {
        List<INDArray> all = new ArrayList<>(4 * weights.size());
        for (int i = 0; i < weights.size(); i++) {
            all.add(weights.get(i));
            all.add(biases.get(i));
            if (gammas.get(i) != null) {
                all.add(gammas.get(i));
                all.add(betas.get(i));
            }
        }
        return all;
    }
}
