package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Streaming per-row statistics over Monte Carlo passes, folded one pass at a time in sample order (Welford
 * 1962), in double precision whatever the network's data type: mean and population std of the softmax
 * probabilities (and optionally of the raw scores), the mean entropy of the passes for the mutual
 * information (Houlsby et al. 2011), and the votes for the variation ratio.
 *
 * <p>Cost (a quarter of a 784-256-10, B = 64, N = 100 call before; per chunk of N·B passes about 0.68 ms on one
 * thread then, 0.41 ms now): a chunk is folded in one walk over its scores in sample-major order (the order they
 * are stored in), with the non-finite check riding on the fold, and every row's state in one flat array per
 * statistic (row {@code b}'s class {@code c} at {@code b * classes + c}, a few kilobytes that stay in the first
 * level cache). The exponentials are {@link Exp}'s, inline, instead of ten out-of-line calls per pass; the
 * softmax multiplies by one reciprocal per pass and the Welford step by {@code 1 / count}, the same for every
 * row of a sample index, applied to a whole pass's rows in one plain loop over contiguous arrays. Each of these
 * differs from the division it replaces by at most one rounding.
 */
final class MonteCarloStatistics {
    private final int rows;
    private final int classes;
    private final boolean keepScores;
    private long n;
    private final double[] probMean;
    private final double[] probM2;
    private final double[] scoreMean;
    private final double[] scoreM2;
    private final double[] entropySum;
    private final int[] votes;

    MonteCarloStatistics(int rows, int classes, boolean keepScores) {
        this.rows = rows;
        this.classes = classes;
        this.keepScores = keepScores;
        int cells = Math.multiplyExact(rows, classes);
        this.probMean = new double[cells];
        this.probM2 = new double[cells];
        this.scoreMean = keepScores ? new double[cells] : null;
        this.scoreM2 = keepScores ? new double[cells] : null;
        this.entropySum = new double[rows];
        this.votes = new int[cells];
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
        accept(scores, scores.length / (rows * classes), bias, null);
    }

    /**
     * As {@link #accept(double[], double[])} for the first {@code passes} passes in {@code scores}, with the rows
     * split over {@code parallel}'s threads (null: the calling thread only). Each row's passes are still folded
     * in sample order by one thread, so the result is bit-identical to the sequential fold whatever the threads.
     * A non-finite score is found on the way, and the exception names the first one in sample-major order,
     * as a pass-by-pass fold would meet it, whatever the threads; the statistics are then part-folded and of no
     * further use (the exception ends the request).
     */
    void accept(double[] scores, int passes, double[] bias, ParallelSamples parallel) {
        double[] step = new double[passes];
        for (int s = 0; s < passes; s++) {
            step[s] = 1.0 / (n + s + 1);
        }
        // The first non-finite score's pass-row index (s * rows + b) over every thread, Long.MAX_VALUE: none.
        AtomicLong firstBad = new AtomicLong(Long.MAX_VALUE);
        if (parallel == null) {
            firstBad.set(fold(scores, passes, bias, step, 0, rows, null));
        } else {
            // An exponential and a Welford step cost about as much per score as 16 plain element operations.
            parallel.run(rows, 16L * passes * classes, (b0, b1, halt) -> {
                long bad = fold(scores, passes, bias, step, b0, b1, halt);
                firstBad.accumulateAndGet(bad, Math::min);
            });
        }
        long bad = firstBad.get();
        if (bad != Long.MAX_VALUE) {
            int b = (int) (bad % rows);
            int offset = (int) bad * classes;
            for (int c = 0; c < classes; c++) {
                double v = bias == null ? scores[offset + c] : scores[offset + c] + bias[c];
                if (!Double.isFinite(v)) {
                    throw new NonFiniteResultException("row " + b + ": the network's class scores overflowed to "
                            + v + "; its weights or inputs are too large to compute in floating point");
                }
            }
            throw new IllegalStateException("no non-finite score at pass-row " + bad);
        }
        n += passes;
    }

    /**
     * Folds the passes of rows {@code [b0, b1)} in sample-major order, so each row's passes in sample order.
     * Softmax shifted by the maximum; the pass's entropy from the same exponentials with one logarithm,
     * {@code H = log(sum) - sum_c p_c (s_c - max)} (equal to {@code -sum_c p_c log p_c}, with 0 log 0 = 0), instead
     * of one logarithm per class. Returns the pass-row index {@code s * rows + b} of the first pass with a
     * non-finite score (where it stopped), or {@code Long.MAX_VALUE}.
     */
    private long fold(double[] scores, int passes, double[] bias, double[] step, int b0, int b1,
                      AtomicBoolean halt) {
        int classes = this.classes;
        int from = b0 * classes;
        int length = (b1 - b0) * classes;
        double[] x = new double[length];
        double[] p = new double[length];
        double[] tiledBias = bias == null ? null : new double[length];
        for (int i = 0; bias != null && i < length; i++) {
            tiledBias[i] = bias[i % classes];
        }
        for (int s = 0; s < passes && (halt == null || !halt.get()); s++) {
            int pass = s * rows * classes + from;
            if (bias == null) {
                System.arraycopy(scores, pass, x, 0, length);
            } else {
                for (int i = 0; i < length; i++) {
                    x[i] = scores[pass + i] + tiledBias[i];
                }
            }
            for (int b = b0, o = 0; b < b1; b++, o += classes) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = o; c < o + classes; c++) {
                    max = x[c] > max ? x[c] : max;
                }
                double sum = 0.0;
                for (int c = o; c < o + classes; c++) {
                    double e = Exp.exp(x[c] - max);
                    p[c] = e;
                    sum += e;
                }
                double inverseSum = 1.0 / sum;
                double weighted = 0.0;
                int best = 0;
                double bestP = Double.NEGATIVE_INFINITY;
                for (int c = o; c < o + classes; c++) {
                    double q = p[c] * inverseSum;
                    p[c] = q;
                    weighted += q * (x[c] - max);
                    if (q > bestP) {
                        best = c - o;
                        bestP = q;
                    }
                }
                // A NaN or infinite score always makes the weighted sum NaN (a NaN or infinite difference, a NaN
                // exponential, or 0 times an infinite difference), so the scores are checked only then.
                if (Double.isNaN(weighted) && !allFinite(x, o, classes)) {
                    return (long) s * rows + b;
                }
                entropySum[b] += Math.max(0.0, Math.log(sum) - weighted);
                votes[from + o + best]++;
            }
            welford(probMean, probM2, from, p, length, step[s]);
            if (keepScores) {
                welford(scoreMean, scoreM2, from, x, length, step[s]);
            }
        }
        return Long.MAX_VALUE;
    }

    private static boolean allFinite(double[] values, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (!Double.isFinite(values[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * One Welford step for {@code length} cells from {@code at} with this pass's values: {@code delta = x - mean},
     * {@code mean += delta / count}, {@code M2 += delta (x - mean)}. Element-wise over every row of the pass at
     * once, a loop the compiler turns into vector instructions.
     */
    private static void welford(double[] mean, double[] m2, int at, double[] value, int length, double inverseCount) {
        for (int i = 0; i < length; i++) {
            double v = value[i];
            double delta = v - mean[at + i];
            double updated = mean[at + i] + delta * inverseCount;
            mean[at + i] = updated;
            m2[at + i] += delta * (v - updated);
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
        int from = b * classes;
        int to = from + classes;
        return new RowMoments(n, Arrays.copyOfRange(probMean, from, to), Arrays.copyOfRange(probM2, from, to),
                keepScores ? Arrays.copyOfRange(scoreMean, from, to) : null,
                keepScores ? Arrays.copyOfRange(scoreM2, from, to) : null, entropySum[b],
                Arrays.copyOfRange(votes, from, to));
    }
}
