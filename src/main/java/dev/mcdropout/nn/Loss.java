package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Mean softmax cross-entropy over a batch, as in the seed tutorial:
 * {@code L = -(1/n) sum_i log softmax(s_i)[y_i]}, with {@code dL/ds = (softmax(s) - onehot(y)) / n}.
 *
 * <p>L2 convention: the penalty is {@code (l2 / 2) * sum W^2} over the weight matrices only, never the
 * biases, so its gradient is {@code l2 * W} (Goodfellow et al. 2016, section 7.1.1). {@link #crossEntropy}
 * is the data term alone; add {@link #l2Penalty} for the full objective that {@link Backprop} differentiates.
 */
public final class Loss {

    private Loss() {
    }

    /**
     * Data loss, probabilities and {@code dscores} of one batch. {@code loss} is the batch mean; the
     * per-row losses are kept for callers that average over several batches.
     */
    public record Result(double loss, double[] rowLosses, INDArray probabilities, INDArray dscores) {

        public Result {
            rowLosses = rowLosses.clone();
        }

        @Override
        public double[] rowLosses() {
            return rowLosses.clone();
        }

        /** Rows whose highest probability is at their label (the first maximum wins a tie). */
        public int correct(int[] labels) {
            return Loss.correct(probabilities, labels);
        }
    }

    /**
     * Softmax cross-entropy of {@code scores} [n, classes] against class indices {@code labels}. The log of
     * the softmax is taken as {@code s - max(s) - log(sum(exp(s - max(s))))}, which neither overflows nor
     * takes the log of an underflowed zero. Returns fresh arrays.
     */
    public static Result crossEntropy(INDArray scores, int[] labels) {
        int n = (int) scores.rows();
        int classes = (int) scores.columns();
        if (scores.rank() != 2 || labels.length != n) {
            throw new IllegalArgumentException("need one label per score row: " + labels.length + " labels, scores "
                    + java.util.Arrays.toString(scores.shape()));
        }
        if (n == 0) {
            throw new IllegalArgumentException("cannot compute a loss over no rows");
        }
        INDArray shifted = scores.subColumnVector(scores.max(1).reshape(n, 1));
        INDArray exp = Transforms.exp(shifted, true);
        INDArray sum = exp.sum(1).reshape(n, 1);
        INDArray probabilities = exp.diviColumnVector(sum);
        double[] logSum = Transforms.log(sum, true).toDoubleVector();
        double[] rowLosses = new double[n];
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " is not a class index below " + classes);
            }
            rowLosses[i] = logSum[i] - shifted.getDouble(i, labels[i]);
            // Summed in row order in Java, not by a native reduction, so the value is the same whatever the
            // number of threads.
            total += rowLosses[i];
        }
        INDArray dscores = probabilities.sub(oneHot(labels, classes, scores)).divi(n);
        return new Result(total / n, rowLosses, probabilities, dscores);
    }

    /** {@code (l2 / 2) * sum over weight matrices of sum W^2}; 0 when {@code l2 == 0}. */
    public static double l2Penalty(List<INDArray> weights, double l2) {
        if (l2 == 0.0) {
            return 0.0;
        }
        double sum = 0.0;
        for (INDArray w : weights) {
            for (double v : toDoubles(w)) {
                sum += v * v;
            }
        }
        return 0.5 * l2 * sum;
    }

    /** Rows of {@code scores} (or probabilities) whose first maximum is at the row's label. */
    public static int correct(INDArray scores, int[] labels) {
        int[] predicted = argmax(scores);
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == labels[i]) {
                correct++;
            }
        }
        return correct;
    }

    /** Index of each row's first maximum, computed in Java so ties break the same way everywhere. */
    public static int[] argmax(INDArray scores) {
        int n = (int) scores.rows();
        int c = (int) scores.columns();
        double[] flat = toDoubles(scores);
        int[] result = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) {
                if (flat[i * c + j] > flat[i * c + best]) {
                    best = j;
                }
            }
            result[i] = best;
        }
        return result;
    }

    /** The entries of {@code a} in row-major order, as a fresh Java array. */
    static double[] toDoubles(INDArray a) {
        return a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    private static INDArray oneHot(int[] labels, int classes, INDArray like) {
        double[] values = new double[Math.multiplyExact(labels.length, classes)];
        for (int i = 0; i < labels.length; i++) {
            values[i * classes + labels[i]] = 1.0;
        }
        return Nd4j.create(values, new long[] {labels.length, classes}, like.dataType());
    }
}
