package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Streaming per-row statistics over Monte Carlo passes, folded one pass at a time in sample order (Welford
 * 1962), in double precision whatever the network's data type: mean and population std of the softmax
 * probabilities (and optionally of the raw scores), the mean entropy of the passes for the mutual
 * information (Houlsby et al. 2011), and the votes for the variation ratio.
 */
final class MonteCarloStatistics {
    private final int rows;
    private final int classes;
    private final boolean keepScores;
    private long n;
    private final double[][] probMean;
    private final double[][] probM2;
    private final double[][] scoreMean;
    private final double[][] scoreM2;
    private final double[] entropySum;
    private final int[][] votes;

    MonteCarloStatistics(int rows, int classes, boolean keepScores) {
        this.rows = rows;
        this.classes = classes;
        this.keepScores = keepScores;
        this.probMean = new double[rows][classes];
        this.probM2 = new double[rows][classes];
        this.scoreMean = keepScores ? new double[rows][classes] : null;
        this.scoreM2 = keepScores ? new double[rows][classes] : null;
        this.entropySum = new double[rows];
        this.votes = new int[rows][classes];
    }

    /**
     * Folds sample-major scores held in an ND4J matrix ({@code passes * rows} rows of {@code classes}), read
     * through NIO in bulk into {@code chunk} (at least as long as the matrix), rows split over {@code parallel}'s
     * threads (as {@link #accept(double[], int, double[], ParallelSamples)}).
     */
    void accept(INDArray scores, double[] bias, ParallelSamples parallel, double[] chunk) {
        INDArray c = scores.ordering() == 'c' && !scores.isView() ? scores : scores.dup('c');
        int length = (int) c.length();
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(0, chunk, 0, length);
        } else {
            FloatBuffer values = (c.dataType() == DataType.FLOAT ? c : c.castTo(DataType.FLOAT)).data().asNioFloat();
            float[] floats = new float[Math.min(length, 1 << 14)];
            for (int from = 0; from < length; from += floats.length) {
                int n = Math.min(floats.length, length - from);
                values.get(from, floats, 0, n);
                for (int k = 0; k < n; k++) {
                    chunk[from + k] = floats[k];
                }
            }
        }
        accept(chunk, length / (rows * classes), bias, parallel);
    }

    /** Folds sample-major scores held in an ND4J matrix, one thread (the test-mode pass, DropConnect). */
    void accept(INDArray scores, double[] bias) {
        INDArray c = scores.ordering() == 'c' && !scores.isView() ? scores : scores.dup('c');
        int block = rows * classes;
        int passes = (int) (c.length() / block);
        double[] pass = new double[block];
        if (c.dataType() == DataType.DOUBLE) {
            DoubleBuffer values = c.data().asNioDouble();
            for (int s = 0; s < passes; s++) {
                values.get(s * block, pass, 0, block);
                accept(pass, bias);
            }
        } else {
            FloatBuffer values = (c.dataType() == DataType.FLOAT ? c : c.castTo(DataType.FLOAT)).data().asNioFloat();
            float[] floats = new float[block];
            for (int s = 0; s < passes; s++) {
                values.get(s * block, floats, 0, block);
                for (int k = 0; k < block; k++) {
                    pass[k] = floats[k];
                }
                accept(pass, bias);
            }
        }
    }

    /**
     * Folds flattened sample-major scores (pass s of row b starts at {@code (s * rows + b) * classes}),
     * adding {@code bias} per class first when it is not null.
     *
     * @throws NonFiniteResultException if a score is NaN or infinite: the network overflowed on this row
     */
    void accept(double[] scores, double[] bias) {
        int passes = scores.length / (rows * classes);
        checkFinite(scores, passes, bias);
        double[] sc = new double[classes];
        double[] p = new double[classes];
        for (int b = 0; b < rows; b++) {
            fold(scores, passes, bias, b, sc, p);
        }
        n += passes;
    }

    /**
     * As {@link #accept(double[], double[])} for the first {@code passes} passes in {@code scores}, with the rows
     * split over {@code parallel}'s threads. Each row's passes are still folded in sample order by one thread,
     * so the result is bit-identical to the sequential fold whatever the threads.
     */
    void accept(double[] scores, int passes, double[] bias, ParallelSamples parallel) {
        checkFinite(scores, passes, bias);
        // An exponential and a Welford step cost about as much per score as 16 plain element operations.
        parallel.run(rows, 16L * passes * classes, (b0, b1, halt) -> {
            double[] sc = new double[classes];
            double[] p = new double[classes];
            for (int b = b0; b < b1 && !halt.get(); b++) {
                fold(scores, passes, bias, b, sc, p);
            }
        });
        n += passes;
    }

    /** Throws for the first non-finite score in sample-major order, as a pass-by-pass fold would. */
    private void checkFinite(double[] scores, int passes, double[] bias) {
        for (int s = 0; s < passes; s++) {
            for (int b = 0; b < rows; b++) {
                int offset = (s * rows + b) * classes;
                for (int c = 0; c < classes; c++) {
                    double v = bias == null ? scores[offset + c] : scores[offset + c] + bias[c];
                    if (!Double.isFinite(v)) {
                        throw new NonFiniteResultException("row " + b + ": the network's class scores overflowed to "
                                + v + "; its weights or inputs are too large to compute in floating point");
                    }
                }
            }
        }
    }

    /**
     * Folds row {@code b}'s passes in sample order. Softmax shifted by the maximum; the pass's entropy from the
     * same exponentials with one logarithm, {@code H = log(sum) - sum_c p_c (s_c - max)} (equal to
     * {@code -sum_c p_c log p_c}, with 0 log 0 = 0), instead of one logarithm per class.
     */
    private void fold(double[] scores, int passes, double[] bias, int b, double[] sc, double[] p) {
        double[] mean = probMean[b];
        double[] m2 = probM2[b];
        for (int s = 0; s < passes; s++) {
            int offset = (s * rows + b) * classes;
            long count = n + s + 1;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                sc[c] = bias == null ? scores[offset + c] : scores[offset + c] + bias[c];
                max = Math.max(max, sc[c]);
            }
            double sum = 0.0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(sc[c] - max);
                sum += p[c];
            }
            double weighted = 0.0;
            int best = 0;
            for (int c = 0; c < classes; c++) {
                p[c] /= sum;
                weighted += p[c] * (sc[c] - max);
                if (p[c] > p[best]) {
                    best = c;
                }
            }
            entropySum[b] += Math.max(0.0, Math.log(sum) - weighted);
            votes[b][best]++;
            welford(mean, m2, p, count);
            if (keepScores) {
                welford(scoreMean[b], scoreM2[b], sc, count);
            }
        }
    }

    private void welford(double[] mean, double[] m2, double[] value, long count) {
        for (int c = 0; c < classes; c++) {
            double delta = value[c] - mean[c];
            mean[c] += delta / count;
            m2[c] += delta * (value[c] - mean[c]);
        }
    }

    /** Per row, the summary of every pass folded so far; {@code deterministic}: one pass, no spread. */
    List<Uncertainty> result(boolean deterministic) {
        List<Uncertainty> out = new ArrayList<>(rows);
        for (int b = 0; b < rows; b++) {
            out.add(row(b).summary(deterministic));
        }
        return out;
    }

    /** Row {@code b}'s statistics of every pass folded so far, as mergeable moments with arrays of their own. */
    RowMoments row(int b) {
        return new RowMoments(n, probMean[b].clone(), probM2[b].clone(), keepScores ? scoreMean[b].clone() : null,
                keepScores ? scoreM2[b].clone() : null, entropySum[b], votes[b].clone());
    }
}
