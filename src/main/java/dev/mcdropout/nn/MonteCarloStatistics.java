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
    private final double[] p;
    private final double[] sc;

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
        this.p = new double[classes];
        this.sc = new double[classes];
    }

    /**
     * Folds sample-major scores held in an ND4J matrix ({@code passes * rows} rows of {@code classes}), read
     * one pass at a time through NIO in bulk, so no copy of the whole chunk is made on the heap.
     */
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
        for (int s = 0; s < passes; s++) {
            n++;
            for (int b = 0; b < rows; b++) {
                int offset = (s * rows + b) * classes;
                for (int c = 0; c < classes; c++) {
                    sc[c] = bias == null ? scores[offset + c] : scores[offset + c] + bias[c];
                    if (!Double.isFinite(sc[c])) {
                        throw new NonFiniteResultException("row " + b + ": the network's class scores overflowed to "
                                + sc[c] + "; its weights or inputs are too large to compute in "
                                + "floating point");
                    }
                }
                Probabilities.softmax(sc, p);
                entropySum[b] += Probabilities.entropy(p);
                votes[b][Probabilities.argmax(p)]++;
                welford(probMean[b], probM2[b], p);
                if (keepScores) {
                    welford(scoreMean[b], scoreM2[b], sc);
                }
            }
        }
    }

    private void welford(double[] mean, double[] m2, double[] value) {
        for (int c = 0; c < classes; c++) {
            double delta = value[c] - mean[c];
            mean[c] += delta / n;
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
