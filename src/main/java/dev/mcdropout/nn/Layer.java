package dev.mcdropout.nn;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One dense layer: {@code out = activation(bn(in @ weights + bias))}, then, in dropout mode, inverted dropout
 * on {@code out} with probability {@code dropout} of dropping each unit.
 *
 * <p>With {@code dropConnect} the same probability drops the layer's <em>weights</em> instead (Wan et al.
 * 2013): {@code out = activation(bn(in @ (M * weights) / (1 - p) + bias))} with a Bernoulli keep mask
 * {@code M} over the weights, and the outputs are not dropped. {@code batchNorm}, when not null, normalises
 * the linear output before the activation (linear, batch norm, ReLU, dropout; see {@link BatchNorm}).
 *
 * <p>Weights are laid out inputs x outputs (numpy's {@code x @ W + b}); bias is a row vector of shape
 * [1, outputs]. A {@code Layer} handed out by {@link Network#layers()} holds copies: changing them does
 * not change the network.
 */
public record Layer(INDArray weights, INDArray bias, Activation activation, double dropout, boolean dropConnect,
                    BatchNorm batchNorm) {

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
        if (batchNorm != null) {
            if (batchNorm.units() != weights.columns()) {
                throw new IllegalArgumentException("batch norm has " + batchNorm.units() + " units, weights have "
                        + weights.columns() + " outputs");
            }
            if (batchNorm.gamma().dataType() != weights.dataType()) {
                throw new IllegalArgumentException("batch norm is " + batchNorm.gamma().dataType() + ", weights are "
                        + weights.dataType());
            }
        }
    }

    /** A plain dense layer: unit dropout, no batch norm. */
    public Layer(INDArray weights, INDArray bias, Activation activation, double dropout) {
        this(weights, bias, activation, dropout, false, null);
    }

    public int inputs() {
        return (int) weights.rows();
    }

    public int outputs() {
        return (int) weights.columns();
    }

    /** Probability of dropping a weight of this layer (0 unless {@code dropConnect}). */
    public double weightDropout() {
        return dropConnect ? dropout : 0.0;
    }

    /** Probability of dropping a unit of this layer's output (0 with {@code dropConnect}). */
    public double unitDropout() {
        return dropConnect ? 0.0 : dropout;
    }

    Layer copy() {
        return new Layer(weights.dup(), bias.dup(), activation, dropout, dropConnect,
                batchNorm == null ? null : batchNorm.copy());
    }
}
