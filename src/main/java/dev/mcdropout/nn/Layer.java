package dev.mcdropout.nn;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One dense layer: {@code out = activation(in @ weights + bias)}, then, in dropout mode, inverted
 * dropout on {@code out} with probability {@code dropout} of dropping each unit.
 *
 * <p>Weights are laid out inputs x outputs (numpy's {@code x @ W + b}); bias is a row vector of shape
 * [1, outputs]. A {@code Layer} handed out by {@link Network#layers()} holds copies: changing them does
 * not change the network.
 */
public record Layer(INDArray weights, INDArray bias, Activation activation, double dropout) {

    public Layer {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(bias, "bias");
        Objects.requireNonNull(activation, "activation");
        if (weights.rank() != 2) {
            throw new IllegalArgumentException("weights must be a matrix, got rank " + weights.rank());
        }
        if (bias.length() != weights.columns()) {
            throw new IllegalArgumentException("bias has " + bias.length() + " entries, weights have "
                    + weights.columns() + " outputs");
        }
        Dropout.checkProbability("dropout", dropout);
        if (bias.rank() != 2 || bias.rows() != 1) {
            bias = bias.reshape(1, bias.length());
        }
    }

    public int inputs() {
        return (int) weights.rows();
    }

    public int outputs() {
        return (int) weights.columns();
    }

    Layer copy() {
        return new Layer(weights.dup(), bias.dup(), activation, dropout);
    }
}
