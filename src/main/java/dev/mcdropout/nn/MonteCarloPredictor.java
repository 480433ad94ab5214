package dev.mcdropout.nn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Monte Carlo dropout (Gal and Ghahramani 2016): N forward passes with dropout left on, summarised per row as
 * the mean and spread of the predictive distribution.
 *
 * <p>Fast by construction:
 * <ul>
 *   <li>everything before the first dropout site is the same in every pass, so it is computed once;</li>
 *   <li>the N passes run as one batched computation: the B rows are tiled N times, each block multiplied by
 *       its own masks, so every layer is one matrix product over N·B rows instead of N products over B;</li>
 *   <li>samples are cut into chunks whose activations stay under a fixed number of elements, so memory is
 *       bounded for any N·B; chunks run on at most {@code threads} threads and are reduced in sample order
 *       with streaming (Welford) statistics.</li>
 * </ul>
 * The chunking depends only on the request and the network, never on the thread count, and each sample's
 * masks come from {@code (seed, sample index, site)}: the same seed gives the same bits with 1 or 16 threads.
 */
public final class MonteCarloPredictor implements AutoCloseable {

    /** Activations per chunk (rows x widest layer) above which a request is split: 4 Mi floats = 16 MiB. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 22;

    /** Below this many activations a request is not worth splitting across threads. */
    private static final long PARALLEL_THRESHOLD = 1L << 18;

    private static final int MIN_CHUNKS_WHEN_LARGE = 4;

    private final int threads;
    private final long chunkElements;
    private final ExecutorService pool;

    /** Runs chunks on up to {@code threads} threads of its own. */
    public MonteCarloPredictor(int threads) {
        this(threads, DEFAULT_CHUNK_ELEMENTS);
    }

    public MonteCarloPredictor(int threads, long chunkElements) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (chunkElements < 1) {
            throw new IllegalArgumentException("chunkElements must be >= 1, got " + chunkElements);
        }
        this.threads = threads;
        this.chunkElements = chunkElements;
        AtomicInteger counter = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "mc-dropout-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /**
     * Per row of {@code raw} (unstandardised features), the statistics of {@code samples} stochastic passes
     * with masks drawn from {@code seed} and the sample index; {@code samples == 0} is one test-mode pass.
     */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, long seed, boolean includeScores) {
        return predict(network, raw, samples, MaskSource.seeded(seed), includeScores);
    }

    /** As {@link #predict(Network, INDArray, int, long, boolean)} with masks from {@code masks}. */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, MaskSource masks,
                                     boolean includeScores) {
        if (samples < 0) {
            throw new IllegalArgumentException("samples must be >= 0, got " + samples);
        }
        if (raw.rank() != 2 || raw.rows() < 1) {
            throw new IllegalArgumentException("expected a non-empty matrix of rows");
        }
        int rows = (int) raw.rows();
        int classes = network.outputs();
        INDArray x = network.standardize(raw);

        int firstSite = firstDropoutSite(network);
        if (samples == 0 || firstSite < 0) {
            // No randomness: every pass would be this one, so the spread is exactly zero.
            INDArray scores = network.forward(x, null).scores();
            Stats stats = new Stats(rows, classes, includeScores);
            stats.accept(toDoubles(scores), rows);
            return stats.result(true);
        }

        Prefix prefix = prefix(network, x, firstSite);
        int widest = widestFrom(network, firstSite);
        int perChunk = samplesPerChunk(samples, (long) rows * widest);
        int chunks = (samples + perChunk - 1) / perChunk;

        Stats stats = new Stats(rows, classes, includeScores);
        if (pool == null || chunks == 1) {
            for (int c = 0; c < chunks; c++) {
                int from = c * perChunk;
                stats.accept(chunk(network, prefix, firstSite, from, Math.min(samples, from + perChunk), masks),
                        rows);
            }
        } else {
            reduceInOrder(network, prefix, firstSite, samples, perChunk, chunks, masks, stats, rows);
        }
        return stats.result(false);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private void reduceInOrder(Network network, Prefix prefix, int firstSite, int samples, int perChunk,
                               int chunks, MaskSource masks, Stats stats, int rows) {
        // At most `threads` chunks in flight keeps memory bounded; results are folded in sample order so the
        // floating-point sums do not depend on which thread finished first.
        Deque<Future<double[]>> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            while (next < chunks || !inFlight.isEmpty()) {
                while (next < chunks && inFlight.size() < threads) {
                    int from = next * perChunk;
                    int to = Math.min(samples, from + perChunk);
                    inFlight.add(pool.submit(() -> chunk(network, prefix, firstSite, from, to, masks)));
                    next++;
                }
                stats.accept(inFlight.removeFirst().get(), rows);
            }
        } catch (InterruptedException e) {
            inFlight.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Monte Carlo prediction interrupted", e);
        } catch (ExecutionException e) {
            inFlight.forEach(f -> f.cancel(true));
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("Monte Carlo chunk failed", cause);
        }
    }

    /**
     * Class scores of samples {@code [from, to)}, sample-major and flattened: pass {@code s - from} of row
     * {@code b} starts at {@code ((s - from) * B + b) * classes}.
     */
    private static double[] chunk(Network network, Prefix prefix, int firstSite, int from, int to,
                                  MaskSource masks) {
        int rows = prefix.rows;
        int count = to - from;
        // The first dropout site is fused with the tiling of the prefix: one pass in Java writes
        // mask * prefix for every sample, and one bulk copy moves it to native memory.
        INDArray in = tiledAndMasked(prefix, masks, network.dropoutAt(firstSite), firstSite, from, count,
                network.dataType());
        for (int i = firstSite; i < network.layerCount(); i++) {
            if (i > firstSite) {
                double p = network.dropoutAt(i);
                if (p > 0.0) {
                    in.muli(mask(masks, p, i, from, count, rows, (int) in.columns(), network.dataType()));
                }
            }
            Layer layer = network.layer(i);
            INDArray z = in.mmul(layer.weights()).addiRowVector(layer.bias());
            in = layer.activation() == Activation.RELU ? Transforms.relu(z, false) : z;
        }
        return toDoubles(in);
    }

    private static INDArray tiledAndMasked(Prefix prefix, MaskSource masks, double p, int site, int from,
                                           int count, DataType type) {
        int block = prefix.values.length;
        float[] mask = new float[Math.multiplyExact(count, block)];
        for (int s = 0; s < count; s++) {
            masks.fill(mask, s * block, block, from + s, site, p);
        }
        long[] shape = {(long) count * prefix.rows, prefix.width};
        INDArray out = Nd4j.createUninitialized(type, shape, 'c');
        if (type == DataType.FLOAT) {
            for (int s = 0, k = 0; s < count; s++) {
                for (int j = 0; j < block; j++, k++) {
                    mask[k] *= (float) prefix.values[j];
                }
            }
            out.data().asNioFloat().put(mask);
        } else {
            double[] values = new double[mask.length];
            for (int s = 0, k = 0; s < count; s++) {
                for (int j = 0; j < block; j++, k++) {
                    values[k] = mask[k] * prefix.values[j];
                }
            }
            out.data().asNioDouble().put(values);
        }
        return out;
    }

    private static INDArray mask(MaskSource masks, double p, int site, int from, int count, int rows, int width,
                                 DataType type) {
        int block = Math.multiplyExact(rows, width);
        float[] values = new float[Math.multiplyExact(count, block)];
        for (int s = 0; s < count; s++) {
            masks.fill(values, s * block, block, from + s, site, p);
        }
        INDArray mask = Nd4j.createUninitialized(DataType.FLOAT, new long[] {(long) count * rows, width}, 'c');
        mask.data().asNioFloat().put(values);
        return type == DataType.FLOAT ? mask : mask.castTo(type);
    }

    /** A row-major copy in Java memory, read through NIO rather than element by element. */
    private static double[] toDoubles(INDArray a) {
        INDArray c = a.ordering() == 'c' && !a.isView() ? a : a.dup('c');
        if (c.dataType() == DataType.DOUBLE) {
            double[] out = new double[(int) c.length()];
            c.data().asNioDouble().get(out);
            return out;
        }
        float[] f = new float[(int) c.length()];
        c.castTo(DataType.FLOAT).data().asNioFloat().get(f);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    /** The deterministic part of every pass, computed once per request; held in Java for the fused tiling. */
    private record Prefix(int rows, int width, double[] values) {
    }

    private static Prefix prefix(Network network, INDArray x, int firstSite) {
        INDArray in = x;
        for (int i = 0; i < firstSite; i++) {
            Layer layer = network.layer(i);
            INDArray z = in.mmul(layer.weights()).addiRowVector(layer.bias());
            in = layer.activation() == Activation.RELU ? Transforms.relu(z, false) : z;
        }
        return new Prefix((int) in.rows(), (int) in.columns(), toDoubles(in));
    }

    private static int firstDropoutSite(Network network) {
        for (int i = 0; i < network.layerCount(); i++) {
            if (network.dropoutAt(i) > 0.0) {
                return i;
            }
        }
        return -1;
    }

    private static int widestFrom(Network network, int site) {
        int widest = network.outputs();
        for (int i = site; i < network.layerCount(); i++) {
            widest = Math.max(widest, network.layer(i).inputs());
        }
        return widest;
    }

    /** A function of the request's size only, so that results never depend on the thread count. */
    private int samplesPerChunk(int samples, long elementsPerSample) {
        int byMemory = (int) Math.max(1, Math.min(samples, chunkElements / Math.max(1, elementsPerSample)));
        long total = elementsPerSample * samples;
        if (total >= PARALLEL_THRESHOLD) {
            byMemory = Math.min(byMemory, Math.max(1, (samples + MIN_CHUNKS_WHEN_LARGE - 1) / MIN_CHUNKS_WHEN_LARGE));
        }
        return byMemory;
    }

    /**
     * Streaming per-row statistics over passes, folded one pass at a time in sample order (Welford 1962), in
     * double precision whatever the network's data type.
     */
    private static final class Stats {
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

        Stats(int rows, int classes, boolean keepScores) {
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

        /** Folds flattened sample-major scores: pass s of row b starts at {@code (s * rows + b) * classes}. */
        void accept(double[] scores, int rowsPerPass) {
            int passes = scores.length / (rowsPerPass * classes);
            for (int s = 0; s < passes; s++) {
                n++;
                for (int b = 0; b < rows; b++) {
                    System.arraycopy(scores, (s * rowsPerPass + b) * classes, sc, 0, classes);
                    softmax(sc, p);
                    entropySum[b] += entropy(p);
                    votes[b][argmax(p)]++;
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

        List<Uncertainty> result(boolean deterministic) {
            List<Uncertainty> out = new ArrayList<>(rows);
            for (int b = 0; b < rows; b++) {
                double[] mean = probMean[b].clone();
                double[] std = deterministic ? new double[classes] : std(probM2[b]);
                double h = entropy(mean);
                double mi = deterministic ? 0.0 : Math.max(0.0, h - entropySum[b] / n);
                int modal = 0;
                for (int c = 1; c < classes; c++) {
                    if (votes[b][c] > votes[b][modal]) {
                        modal = c;
                    }
                }
                double variationRatio = deterministic ? 0.0 : 1.0 - (double) votes[b][modal] / n;
                out.add(new Uncertainty(argmax(mean), mean, std, h, mi, variationRatio,
                        keepScores ? scoreMean[b].clone() : null,
                        keepScores ? (deterministic ? new double[classes] : std(scoreM2[b])) : null));
            }
            return out;
        }

        private double[] std(double[] m2) {
            double[] s = new double[classes];
            for (int c = 0; c < classes; c++) {
                s[c] = Math.sqrt(Math.max(0.0, m2[c] / n));
            }
            return s;
        }
    }

    static void softmax(double[] scores, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0.0;
        for (int c = 0; c < scores.length; c++) {
            out[c] = Math.exp(scores[c] - max);
            sum += out[c];
        }
        for (int c = 0; c < scores.length; c++) {
            out[c] /= sum;
        }
    }

    /** Shannon entropy in nats, with 0 log 0 = 0. */
    static double entropy(double[] p) {
        double h = 0.0;
        for (double v : p) {
            if (v > 0.0) {
                h -= v * Math.log(v);
            }
        }
        return h;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "MonteCarloPredictor[threads=" + threads + ", chunkElements=" + chunkElements + "]";
    }
}
