package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What a forward pass leaves for backpropagation. Index {@code i} refers to layer {@code i}:
 * {@code inputs[i]} is what layer {@code i} multiplied (after dropout), {@code preActivations[i]} what its
 * activation was applied to ({@code in @ W + b}, or its batch-normalised value), and {@code masks[i]} the
 * scaled dropout mask applied to its input, or null where no dropout was applied. {@code weightMasks[i]} is
 * the scaled DropConnect mask ({@code keep / (1 - p)}, shape of W) the layer's weights were multiplied by, or
 * null; {@code batchNorm[i]} what a batch-normalised layer computed, or null.
 */
public record ForwardPass(List<INDArray> inputs, List<INDArray> preActivations, List<INDArray> masks,
                          INDArray scores, List<INDArray> weightMasks, List<Normalized> batchNorm) {

    /**
     * A batch-normalised layer's intermediate values: {@code normalized = (z - mean) / sqrt(var + epsilon)}
     * and {@code inverseStd = 1 / sqrt(var + epsilon)} ([1, units]), with {@code mean} and {@code variance}
     * the mini-batch's own (biased) statistics when {@code batchStatistics}, else the running ones.
     */
    public record Normalized(INDArray normalized, INDArray inverseStd, INDArray mean, INDArray variance,
                             boolean batchStatistics) {
    }

    public ForwardPass {
        inputs = List.copyOf(inputs);
        preActivations = List.copyOf(preActivations);
        masks = Collections.unmodifiableList(new ArrayList<>(masks));
        weightMasks = Collections.unmodifiableList(new ArrayList<>(weightMasks));
        batchNorm = Collections.unmodifiableList(new ArrayList<>(batchNorm));
    }

    /**
     * The forward pass of a stack of dense layers, shared by {@link Network#forward} and the trainer's own
     * parameters: layer {@code i} multiplies its input, after the scaled mask {@code masks.get(i)} where that
     * is present and not null, by its weights, after the scaled weight mask {@code weightMasks.get(i)} where
     * that is present and not null, adds its bias, batch-normalises where the layer has batch norm (with the
     * batch's statistics when {@code batchStatistics}, else the running ones) and applies its activation.
     * {@code x} is not changed.
     */
    static ForwardPass compute(INDArray x, List<Layer> layers, List<INDArray> masks, List<INDArray> weightMasks,
                               boolean batchStatistics) {
        int count = layers.size();
        List<INDArray> inputs = new ArrayList<>(count);
        List<INDArray> pre = new ArrayList<>(count);
        List<INDArray> used = new ArrayList<>(count);
        List<INDArray> usedWeights = new ArrayList<>(count);
        List<Normalized> normalized = new ArrayList<>(count);
        INDArray in = x;
        for (int i = 0; i < count; i++) {
            Layer layer = layers.get(i);
            INDArray mask = masks == null || i >= masks.size() ? null : masks.get(i);
            if (mask != null) {
                in = in.mul(mask.castTo(in.dataType()));
            }
            used.add(mask);
            inputs.add(in);
            INDArray weightMask = weightMasks == null || i >= weightMasks.size() ? null : weightMasks.get(i);
            INDArray w = weightMask == null ? layer.weights() : layer.weights().mul(weightMask.castTo(in.dataType()));
            usedWeights.add(weightMask);
            INDArray z = in.mmul(w).addiRowVector(layer.bias());
            Normalized bn = null;
            if (layer.batchNorm() != null) {
                bn = normalize(z, layer.batchNorm(), batchStatistics);
                z = bn.normalized().mulRowVector(layer.batchNorm().gamma()).addiRowVector(layer.batchNorm().beta());
            }
            normalized.add(bn);
            pre.add(z);
            in = layer.activation() == Activation.RELU ? Transforms.relu(z, true) : z;
        }
        return new ForwardPass(inputs, pre, used, in, usedWeights, normalized);
    }

    /**
     * {@code (z - mean) / sqrt(var + epsilon)} with the batch's mean and biased variance, or the running ones.
     * Column sums are products with a row of ones, as in {@link Backprop}: BLAS parallelises a product over
     * its output entries, so a sum does not depend on the thread count.
     */
    private static Normalized normalize(INDArray z, BatchNorm bn, boolean batchStatistics) {
        INDArray mean;
        INDArray variance;
        INDArray centered;
        if (batchStatistics) {
            long m = z.rows();
            INDArray ones = Nd4j.ones(z.dataType(), 1, m);
            mean = ones.mmul(z).divi(m);
            centered = z.subRowVector(mean);
            variance = ones.mmul(centered.mul(centered)).divi(m);
        } else {
            mean = bn.runningMean();
            variance = bn.runningVar();
            centered = z.subRowVector(mean);
        }
        INDArray std = Transforms.sqrt(variance.add(bn.epsilon()), false);
        INDArray normalized = centered.diviRowVector(std);
        return new Normalized(normalized, std.rdiv(1.0), mean, variance, batchStatistics);
    }
}
