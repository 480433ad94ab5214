package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mean softmax cross-entropy over a batch, as in the seed tutorial:
 * {@code L = -(1/n) sum_i log softmax(s_i)[y_i]}, with {@code dL/ds = (softmax(s) - onehot(y)) / n}.
 *
 * <p>L2 convention: the penalty is {@code (l2 / 2) * sum W^2} over the weight matrices only, never the
 * biases, so its gradient is {@code l2 * W} (Goodfellow et al. 2016, section 7.1.1). {@link #crossEntropy}
 * is the data term alone; add {@link #l2Penalty} for the full objective that {@link Backprop} differentiates.
 *
 * <p>The scores of a batch are few (rows times classes), so the softmax, the loss and {@code dscores} are
 * computed in Java in double precision, in a fixed order: one native call instead of a dozen, and the same
 * bits whatever ND4J's thread count.
 */
public final class Loss {

    private Loss() {
    }

    /**
     * Data loss (the batch mean), each row's loss, each row's predicted class (first maximum score),
     * softmax probabilities and {@code dscores}, the latter two in the scores' data type.
     */
    public record Result(double loss, double[] rowLosses, int[] predicted, INDArray probabilities, INDArray dscores) {

        public Result {
            rowLosses = rowLosses.clone();
            predicted = predicted.clone();
        }

        @Override
        public double[] rowLosses() {
            return rowLosses.clone();
        }

        @Override
        public int[] predicted() {
            return predicted.clone();
        }

        /** Sum of the row losses, in row order. */
        public double lossSum() {
            double sum = 0.0;
            for (double l : rowLosses) {
                sum += l;
            }
            return sum;
        }

        /** Rows whose predicted class is their label. */
        public int correct(int[] labels) {
            int correct = 0;
            for (int i = 0; i < predicted.length; i++) {
                if (predicted[i] == labels[i]) {
                    correct++;
                }
            }
            return correct;
        }
    }

    /**
     * Softmax cross-entropy of {@code scores} [n, classes] against class indices {@code labels}. The log of
     * the softmax is taken as {@code s - max(s) - log(sum(exp(s - max(s))))}, which neither overflows nor
     * takes the log of an underflowed zero. Returns fresh arrays.
     */
    public static Result crossEntropy(INDArray scores, int[] labels) {
        if (scores.rank() != 2 || scores.rows() != labels.length) {
            throw new IllegalArgumentException("need one label per score row: " + labels.length + " labels, scores "
                    + java.util.Arrays.toString(scores.shape()));
        }
        int n = labels.length;
        int classes = (int) scores.columns();
        if (n == 0) {
            throw new IllegalArgumentException("cannot compute a loss over no rows");
        }
        double[] s = toDoubles(scores);
        double[] probabilities = new double[s.length];
        double[] dscores = new double[s.length];
        double[] rowLosses = new double[n];
        int[] predicted = new int[n];
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("label " + y + " is not a class index below " + classes);
            }
            int row = i * classes;
            int best = Probabilities.argmax(s, row, classes);
            predicted[i] = best;
            double max = s[row + best];
            double logSum = Probabilities.softmax(s, row, classes, probabilities, row);
            for (int j = 0; j < classes; j++) {
                dscores[row + j] = (probabilities[row + j] - (j == y ? 1.0 : 0.0)) / n;
            }
            rowLosses[i] = logSum - (s[row + y] - max);
            total += rowLosses[i];
        }
        long[] shape = {n, classes};
        DataType type = scores.dataType();
        return new Result(total / n, rowLosses, predicted, Nd4j.create(probabilities, shape, type),
                Nd4j.create(dscores, shape, type));
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

    /** The entries of {@code a} in row-major order, as a fresh Java array. */
    static double[] toDoubles(INDArray a) {
        INDArray compact = a.isView() || a.ordering() != 'c' || a.data().length() != a.length() ? a.dup('c') : a;
        return compact.data().asDouble();
    }
}
