package dev.mcdropout.nn;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalisation of one hidden layer's linear output (Ioffe and Szegedy 2015), between the linear map and
 * the activation: in training {@code y = (z - mean_B) / sqrt(var_B + epsilon) * gamma + beta} with the
 * mini-batch's mean and (biased) variance; in prediction the same with {@code runningMean} and
 * {@code runningVar} in place of the batch's, which makes it a fixed affine map per unit. Every array is a row
 * vector {@code [1, units]} of the layer's data type.
 *
 * <p>The arrays are not copied here: a {@code BatchNorm} inside a {@link Layer} handed out by
 * {@link Network#layers()} holds copies; the trainer's holds views of its own parameters.
 */
public record BatchNorm(INDArray gamma, INDArray beta, INDArray runningMean, INDArray runningVar, double epsilon) {

    /** PyTorch's and Keras's default. */
    public static final double DEFAULT_EPSILON = 1e-5;

    public BatchNorm {
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        Objects.requireNonNull(runningMean, "runningMean");
        Objects.requireNonNull(runningVar, "runningVar");
        checkEpsilon(epsilon);
        gamma = row(gamma, "gamma");
        beta = row(beta, "beta");
        runningMean = row(runningMean, "runningMean");
        runningVar = row(runningVar, "runningVar");
        long units = gamma.length();
        if (beta.length() != units || runningMean.length() != units || runningVar.length() != units) {
            throw new IllegalArgumentException("batch norm arrays differ in length: gamma " + units + ", beta "
                    + beta.length() + ", runningMean " + runningMean.length() + ", runningVar " + runningVar.length());
        }
        if (beta.dataType() != gamma.dataType() || runningMean.dataType() != gamma.dataType()
                || runningVar.dataType() != gamma.dataType()) {
            throw new IllegalArgumentException("batch norm arrays must share one data type");
        }
    }

    /** Checks an epsilon: finite, above 0 (it keeps {@code var + epsilon} away from 0) and at most 1. */
    public static void checkEpsilon(double epsilon) {
        if (!(epsilon > 0.0 && epsilon <= 1.0)) {
            throw new IllegalArgumentException("batch norm epsilon must be in (0, 1], got " + epsilon);
        }
    }

    /** A fresh batch norm for {@code units} units: gamma 1, beta 0, running mean 0 and running variance 1. */
    public static BatchNorm initial(int units, org.nd4j.linalg.api.buffer.DataType type, double epsilon) {
        return new BatchNorm(org.nd4j.linalg.factory.Nd4j.ones(type, 1, units),
                org.nd4j.linalg.factory.Nd4j.zeros(type, 1, units), org.nd4j.linalg.factory.Nd4j.zeros(type, 1, units),
                org.nd4j.linalg.factory.Nd4j.ones(type, 1, units), epsilon);
    }

    public int units() {
        return (int) gamma.length();
    }

    BatchNorm copy() {
        return new BatchNorm(gamma.dup(), beta.dup(), runningMean.dup(), runningVar.dup(), epsilon);
    }

    private static INDArray row(INDArray a, String name) {
        if (a.rank() == 2 && a.rows() == 1) {
            return a;
        }
        if (a.rank() > 2 || (a.rank() == 2 && a.columns() != 1 && a.rows() != 1)) {
            throw new IllegalArgumentException(name + " must be a vector, got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
        return a.reshape(1, a.length());
    }
}
