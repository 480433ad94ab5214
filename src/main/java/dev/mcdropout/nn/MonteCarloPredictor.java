package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Monte Carlo dropout (Gal and Ghahramani 2016): N forward passes with dropout left on, summarised per row as
 * the mean and spread of the predictive distribution.
 *
 * <p>Fast by construction:
 * <ul>
 *   <li>everything before the first dropout site is the same in every pass, so it is computed once;</li>
 *   <li>the N passes run as one batched computation: the B rows are tiled N times, each block multiplied by
 *       its own masks, so every layer is one matrix product over N·B rows instead of N products over B;</li>
 *   <li>between two products, bias, activation and the next dropout mask are applied in one pass over the
 *       product, sample by sample, with that sample's masks drawn as 64-unit bit words just before; the pass
 *       is split by sample over at most {@code threads} threads, while the products use BLAS's own threads;</li>
 *   <li>samples are cut into chunks whose activations stay under a fixed number of elements, so memory is
 *       bounded for any N·B; products land in native buffers pooled across requests, and each chunk is
 *       folded into streaming (Welford) statistics in sample order.</li>
 * </ul>
 * Each sample's masks come from {@code (seed, sample index, site)} and every element is computed from its own
 * sample's data only, and the chunking depends on the request alone: the same seed gives the same bits
 * whatever the thread count (predictor or BLAS). Across chunk sizes results are bit-identical in DOUBLE and
 * agree to rounding in FLOAT, where BLAS picks its kernels by matrix shape.
 */
public final class MonteCarloPredictor implements AutoCloseable {

    /** Activations per chunk (rows x widest layer) above which a request is split: 4 Mi floats = 16 MiB. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 22;

    /** Below this many elements an element-wise pass is not worth handing to other threads. */
    private static final long PARALLEL_ELEMENTS = 1L << 16;

    /** Bytes of native activation buffers kept between requests for reuse. */
    public static final long DEFAULT_POOLED_BYTES = 256L << 20;

    private final int threads;
    private final long chunkElements;
    private final ExecutorService pool;
    private final BufferPool buffers = new BufferPool(DEFAULT_POOLED_BYTES);

    /** Splits element-wise work over up to {@code threads} threads (the caller's included). */
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
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
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

    /** As {@link #predict(Network, INDArray, int, long, boolean)} for rows held in Java arrays. */
    public List<Uncertainty> predict(Network network, double[][] raw, int samples, long seed, boolean includeScores) {
        return predictStandardized(network, network.standardizedMatrix(raw), samples, MaskSource.seeded(seed),
                includeScores);
    }

    /** As {@link #predict(Network, INDArray, int, long, boolean)} with masks from {@code masks}. */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, MaskSource masks,
                                     boolean includeScores) {
        if (raw.rank() != 2 || raw.rows() < 1) {
            throw new IllegalArgumentException("expected a non-empty matrix of rows");
        }
        return predictStandardized(network, network.standardize(raw), samples, masks, includeScores);
    }

    private List<Uncertainty> predictStandardized(Network network, INDArray x, int samples, MaskSource masks,
                                                  boolean includeScores) {
        if (samples < 0) {
            throw new IllegalArgumentException("samples must be >= 0, got " + samples);
        }
        int rows = (int) x.rows();
        int classes = network.outputs();
        Stats stats = new Stats(rows, classes, includeScores);

        int firstSite = firstDropoutSite(network);
        if (samples == 0 || firstSite < 0) {
            // No randomness: every pass would be this one, so the spread is exactly zero.
            stats.accept(toDoubles(network.forward(x, null).scores()), null);
            return stats.result(true);
        }

        Pass pass = new Pass(network, prefix(network, x, firstSite), firstSite, masks, rows);
        int perChunk = samplesPerChunk(samples, (long) rows * widestFrom(network, firstSite));
        try {
            for (int from = 0; from < samples; from += perChunk) {
                stats.accept(pass.scores(from, Math.min(samples, from + perChunk)), pass.outputBias);
            }
        } finally {
            pass.release();
        }
        return stats.result(false);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /** The stochastic part of the passes for one request: layers from the first dropout site on. */
    private final class Pass {
        private final Network network;
        private final INDArray prefix;
        private final int firstSite;
        private final MaskSource masks;
        private final int rows;
        private final Map<Integer, INDArray> chunkBuffers = new HashMap<>();
        final double[] outputBias;

        Pass(Network network, INDArray prefix, int firstSite, MaskSource masks, int rows) {
            this.network = network;
            this.prefix = prefix;
            this.firstSite = firstSite;
            this.masks = masks;
            this.rows = rows;
            this.outputBias = network.biasValues(network.layerCount() - 1);
        }

        /** Class scores without the output bias for samples {@code [from, to)}, sample-major and flattened. */
        double[] scores(int from, int to) {
            int count = to - from;
            int width = (int) prefix.columns();
            INDArray in = buffer(count, -1, width);
            Block prefixValues = Block.of(prefix);
            Block target = Block.of(in);
            double p0 = network.dropoutAt(firstSite);
            forEachSample(count, (long) rows * width,
                    (s0, s1) -> tile(prefixValues, target, s0, s1, from, firstSite, p0, rows * width));
            int last = network.layerCount() - 1;
            for (int i = firstSite; ; i++) {
                // The bias is left out of the product and added in the fused pass that follows it. Products
                // go into buffers allocated once per request: ND4J's mmul allocates and then copies its result.
                INDArray weights = network.layer(i).weights();
                INDArray z = Nd4j.gemm(in, weights, buffer(count, i, (int) weights.columns()), false, false, 1.0, 0.0);
                if (i == last) {
                    return toDoubles(z);
                }
                int site = i + 1;
                double p = network.dropoutAt(site);
                boolean relu = network.layer(i).activation() == Activation.RELU;
                int layer = i;
                Block values = Block.of(z);
                int block = rows * (int) z.columns();
                forEachSample(count, block,
                        (s0, s1) -> biasActivateDrop(values, layer, relu, s0, s1, from, site, p, block));
                in = z;
            }
        }

        /** Output buffer of layer {@code layer} (-1: the tiled input) for {@code count} samples, kept across chunks. */
        private INDArray buffer(int count, int layer, int width) {
            INDArray cached = chunkBuffers.get(layer);
            if (cached != null && cached.rows() == (long) count * rows) {
                return cached;
            }
            if (cached != null) {
                buffers.giveBack(cached);
            }
            INDArray fresh = buffers.borrow(network.dataType(), (long) count * rows, width);
            chunkBuffers.put(layer, fresh);
            return fresh;
        }

        void release() {
            chunkBuffers.values().forEach(buffers::giveBack);
            chunkBuffers.clear();
        }

        /** Writes {@code mask * prefix} for samples {@code [s0, s1)} of the chunk: tiling and dropout in one. */
        private void tile(Block prefixValues, Block target, int s0, int s1, int from, int site, double p,
                          int block) {
            long[] dropped = new long[(block + 63) >>> 6];
            Scratch scratch = new Scratch(block);
            for (int s = s0; s < s1; s++) {
                masks.fill(dropped, block, from + s, site, p);
                target.tile(prefixValues, dropped, keptScale(p), s * block, block, scratch);
            }
        }

        /** In place on a product: {@code mask * activation(z + bias)} for samples {@code [s0, s1)}. */
        private void biasActivateDrop(Block z, int layer, boolean relu, int s0, int s1, int from, int site,
                                      double p, int block) {
            long[] dropped = new long[(block + 63) >>> 6];
            Scratch scratch = new Scratch(block);
            for (int s = s0; s < s1; s++) {
                masks.fill(dropped, block, from + s, site, p);
                z.biasActivateMask(network.biasValues(layer), network.floatBiasValues(layer), relu, dropped,
                        keptScale(p), s * block, block, scratch);
            }
        }
    }

    /** Inverted dropout's scale for kept units, 1 / (1 - p). */
    private static double keptScale(double p) {
        return 1.0 / (1.0 - p);
    }

    @FunctionalInterface
    private interface SampleRange {
        void run(int s0, int s1);
    }

    /** Runs {@code work} over {@code [0, count)} split into contiguous sample ranges, one per thread. */
    private void forEachSample(int count, long elementsPerSample, SampleRange work) {
        int parts = (int) Math.min(threads, count);
        if (pool == null || parts == 1 || elementsPerSample * count < PARALLEL_ELEMENTS) {
            work.run(0, count);
            return;
        }
        List<Future<?>> others = new ArrayList<>(parts - 1);
        for (int part = 1; part < parts; part++) {
            int s0 = (int) ((long) count * part / parts);
            int s1 = (int) ((long) count * (part + 1) / parts);
            others.add(pool.submit(() -> work.run(s0, s1)));
        }
        work.run(0, (int) ((long) count / parts));
        try {
            for (Future<?> f : others) {
                f.get();
            }
        } catch (InterruptedException e) {
            others.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Monte Carlo prediction interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("Monte Carlo pass failed", e.getCause());
        }
    }

    /**
     * Native activation buffers kept between requests, up to a byte bound. A fresh 26 MB buffer costs an
     * allocation plus a page fault per 4 KiB on first write; a request that reuses one pays neither. Buffers
     * are handed out to one request at a time and their contents are always overwritten before use.
     */
    private static final class BufferPool {
        private final long maxBytes;
        private final Map<String, ConcurrentLinkedDeque<INDArray>> free = new ConcurrentHashMap<>();
        private final AtomicLong pooledBytes = new AtomicLong();

        BufferPool(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        INDArray borrow(DataType type, long rows, long columns) {
            var queue = free.get(key(type, rows, columns));
            INDArray reused = queue == null ? null : queue.pollFirst();
            if (reused != null) {
                pooledBytes.addAndGet(-bytes(reused));
                return reused;
            }
            return Nd4j.createUninitialized(type, new long[] {rows, columns}, 'c');
        }

        void giveBack(INDArray buffer) {
            long size = bytes(buffer);
            if (pooledBytes.addAndGet(size) > maxBytes) {
                pooledBytes.addAndGet(-size);
                return;
            }
            free.computeIfAbsent(key(buffer.dataType(), buffer.rows(), buffer.columns()),
                    k -> new ConcurrentLinkedDeque<>()).addFirst(buffer);
        }

        private static long bytes(INDArray a) {
            return a.length() * a.dataType().width();
        }

        private static String key(DataType type, long rows, long columns) {
            return type + ":" + rows + "x" + columns;
        }
    }

    /** Heap arrays a thread moves one sample's block into, so the element loops run on plain arrays. */
    private static final class Scratch {
        final int size;
        float[] floats;
        double[] doubles;
        float[] prefixFloats;
        double[] prefixDoubles;

        /** The prefix, copied to the heap once per thread and range rather than once per sample. */
        float[] prefixFloats(FloatBuffer prefix, int length) {
            if (prefixFloats == null) {
                prefixFloats = new float[length];
                prefix.get(0, prefixFloats, 0, length);
            }
            return prefixFloats;
        }

        double[] prefixDoubles(DoubleBuffer prefix, int length) {
            if (prefixDoubles == null) {
                prefixDoubles = new double[length];
                prefix.get(0, prefixDoubles, 0, length);
            }
            return prefixDoubles;
        }

        Scratch(int size) {
            this.size = size;
        }

        float[] floats() {
            return floats != null ? floats : (floats = new float[size]);
        }

        double[] doubles() {
            return doubles != null ? doubles : (doubles = new double[size]);
        }
    }

    /**
     * The element-wise steps on an array's native memory, specialised per data type. Each call moves one
     * sample's block ({@code length} elements from {@code offset}) into heap scratch with one bulk copy, works
     * there, and writes it back with one bulk copy: per-element access to a direct buffer was several times
     * slower. The loops walk the drop bits a word at a time and turn each bit into the factor 0 or
     * {@code scale} by masking the factor's bit pattern, with no branch and no per-element word lookup.
     * Blocks start at a row boundary. Disjoint blocks may be processed in parallel.
     */
    private abstract static class Block {

        static Block of(INDArray a) {
            if (a.ordering() != 'c' || a.isView()) {
                throw new IllegalStateException("expected a fresh row-major array");
            }
            return a.dataType() == DataType.FLOAT ? new FloatBlock(a.data().asNioFloat())
                    : new DoubleBlock(a.data().asNioDouble());
        }

        /** {@code this[offset + k] = mask(k) * prefix[k]} for {@code k < length}. */
        abstract void tile(Block prefix, long[] dropped, double scale, int offset, int length, Scratch scratch);

        /** {@code this[offset + k] = mask(k) * activation(this[offset + k] + bias[k % width])}. */
        abstract void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, double scale,
                                       int offset, int length, Scratch scratch);
    }

    private static final class FloatBlock extends Block {
        private final FloatBuffer values;

        FloatBlock(FloatBuffer values) {
            this.values = values;
        }

        @Override
        void tile(Block prefix, long[] dropped, double scale, int offset, int length, Scratch scratch) {
            float[] source = scratch.prefixFloats(((FloatBlock) prefix).values, length);
            float[] v = scratch.floats();
            int factor = Float.floatToRawIntBits((float) scale);
            for (int w = 0, base = 0; base < length; w++, base += 64) {
                long drop = dropped[w];
                int end = Math.min(64, length - base);
                for (int j = 0; j < end; j++) {
                    v[base + j] = source[base + j] * Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                }
            }
            values.put(offset, v, 0, length);
        }

        @Override
        void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, double scale,
                              int offset, int length, Scratch scratch) {
            float[] v = scratch.floats();
            values.get(offset, v, 0, length);
            int width = floatBias.length;
            int factor = Float.floatToRawIntBits((float) scale);
            int column = 0;
            for (int w = 0, base = 0; base < length; w++, base += 64) {
                long drop = dropped[w];
                int end = Math.min(64, length - base);
                for (int j = 0; j < end; j++) {
                    float x = v[base + j] + floatBias[column];
                    float kept = Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                    v[base + j] = (relu ? Math.max(x, 0f) : x) * kept;
                    if (++column == width) {
                        column = 0;
                    }
                }
            }
            values.put(offset, v, 0, length);
        }
    }

    private static final class DoubleBlock extends Block {
        private final DoubleBuffer values;

        DoubleBlock(DoubleBuffer values) {
            this.values = values;
        }

        @Override
        void tile(Block prefix, long[] dropped, double scale, int offset, int length, Scratch scratch) {
            double[] source = scratch.prefixDoubles(((DoubleBlock) prefix).values, length);
            double[] v = scratch.doubles();
            long factor = Double.doubleToRawLongBits(scale);
            for (int w = 0, base = 0; base < length; w++, base += 64) {
                long drop = dropped[w];
                int end = Math.min(64, length - base);
                for (int j = 0; j < end; j++) {
                    v[base + j] = source[base + j] * Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                }
            }
            values.put(offset, v, 0, length);
        }

        @Override
        void biasActivateMask(double[] bias, float[] floatBias, boolean relu, long[] dropped, double scale,
                              int offset, int length, Scratch scratch) {
            double[] v = scratch.doubles();
            values.get(offset, v, 0, length);
            int width = bias.length;
            long factor = Double.doubleToRawLongBits(scale);
            int column = 0;
            for (int w = 0, base = 0; base < length; w++, base += 64) {
                long drop = dropped[w];
                int end = Math.min(64, length - base);
                for (int j = 0; j < end; j++) {
                    double x = v[base + j] + bias[column];
                    double kept = Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                    v[base + j] = (relu ? Math.max(x, 0.0) : x) * kept;
                    if (++column == width) {
                        column = 0;
                    }
                }
            }
            values.put(offset, v, 0, length);
        }
    }

    /** A row-major copy in Java memory, read through NIO rather than element by element. */
    private static double[] toDoubles(INDArray a) {
        INDArray c = a.ordering() == 'c' && !a.isView() ? a : a.dup('c');
        double[] out = new double[(int) c.length()];
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(out);
        } else {
            FloatBuffer buffer = c.castTo(DataType.FLOAT).data().asNioFloat();
            for (int i = 0; i < out.length; i++) {
                out[i] = buffer.get(i);
            }
        }
        return out;
    }

    /** Layers before the first dropout site, in test mode, on the request's B rows: the same in every pass. */
    private static INDArray prefix(Network network, INDArray x, int firstSite) {
        INDArray in = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        for (int i = 0; i < firstSite; i++) {
            Layer layer = network.layer(i);
            INDArray z = Nd4j.gemm(in, layer.weights(), Nd4j.createUninitialized(network.dataType(),
                    new long[] {in.rows(), layer.outputs()}, 'c'), false, false, 1.0, 0.0);
            int length = (int) z.length();
            Block.of(z).biasActivateMask(network.biasValues(i), network.floatBiasValues(i),
                    layer.activation() == Activation.RELU, new long[(length + 63) >>> 6], 1.0, 0, length,
                    new Scratch(length));
            in = z;
        }
        return in;
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

    /** Equal chunks (so their buffers are reused) of at most {@code chunkElements} activations each. */
    private int samplesPerChunk(int samples, long elementsPerSample) {
        int most = (int) Math.max(1, Math.min(samples, chunkElements / Math.max(1, elementsPerSample)));
        int chunks = (samples + most - 1) / most;
        return (samples + chunks - 1) / chunks;
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

        /**
         * Folds flattened sample-major scores (pass s of row b starts at {@code (s * rows + b) * classes}),
         * adding {@code bias} per class first when it is not null.
         */
        void accept(double[] scores, double[] bias) {
            int passes = scores.length / (rows * classes);
            for (int s = 0; s < passes; s++) {
                n++;
                for (int b = 0; b < rows; b++) {
                    int offset = (s * rows + b) * classes;
                    for (int c = 0; c < classes; c++) {
                        sc[c] = bias == null ? scores[offset + c] : scores[offset + c] + bias[c];
                    }
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
                int modal = argmax(votes[b]);
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

    private static int argmax(int[] v) {
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
