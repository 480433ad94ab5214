package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Monte Carlo passes of a network with DropConnect (Wan et al. 2013): in every sample, each DropConnect layer
 * multiplies by its own masked weights {@code (M_s * W) / (1 - p)}, one mask per sample shared by all the rows
 * of that sample (a sample is one network drawn from the distribution), drawn from
 * {@code (seed, sample, weight site)} ({@link WeightMaskSource}). Unit dropout (the input's, and that of any
 * layer without DropConnect) works as in {@link MonteCarloPredictor}: per row, from the row's own key.
 *
 * <p>The work per sample and DropConnect layer is a mask over {@code inputs x outputs} weights and a product of
 * the sample's B rows with the masked matrix; it cannot be shared between samples as the products of unit
 * dropout can. Memory stays bounded: the masked weights of at most {@code threads} samples exist at once, and no
 * more than fit in {@code chunkElements} unless one copy alone is larger, each masked into a reused native buffer
 * (the weights read from their own native memory and masked in blocks that stay in cache, drop bits drawn 64 to a
 * word and turned into factors by masking the scale's bit pattern; no heap copy of a whole matrix), and the
 * samples' products then run one after the other on BLAS's threads. Up to {@link #FUSED_ROWS} rows, where a BLAS
 * product cannot amortise the masked copy, the product is computed in Java straight from the weights and the drop
 * bits instead, skipping weights whose inputs are all 0 (each weight read once per sample). Layers without
 * DropConnect multiply all samples of a chunk in one product, as in the dropout engine; layers before the first
 * stochastic one run once on the B rows. Activations are chunked by sample exactly as in
 * {@link MonteCarloPredictor}, so a request holds at most {@code (layers - first stochastic layer + 1) x
 * max(chunkElements, rows x widest) + max(chunkElements, largest DropConnect layer's inputs x outputs)} elements
 * of native buffers, all lent from the predictor's pool.
 *
 * <p>Reproducible as the dropout engine: masks are pure functions of their keys, the chunk plan is a function of
 * the request, each sample's values are computed from that sample's data only, so an identical request gives
 * bit-identical results whatever the predictor's thread count; BLAS decides the rest to rounding.
 */
final class DropConnectPass {

    /** Masked weights are built in blocks of this many elements on the heap, then copied out in bulk. */
    private static final int BLOCK = 1 << 14;

    /**
     * Up to this many rows, a DropConnect layer's product is computed in Java straight from the weights and the
     * drop bits ({@link #fusedProducts}) instead of masking a copy of the weights for BLAS.
     */
    static final int FUSED_ROWS = 4;

    private final Network network;
    private final INDArray prefix;
    private final int first;
    private final MaskSource masks;
    private final WeightMaskSource weightMasks;
    private final long[] rowKeys;
    private final int rows;
    private final ParallelSamples parallel;
    private final NativeBufferPool pool;
    private final long chunkElements;
    private final Map<Integer, INDArray> chunkBuffers = new HashMap<>();
    /** Each DropConnect layer's weights as a row-major array whose native memory is read in blocks (no heap copy). */
    private final Map<Integer, INDArray> weights = new HashMap<>();

    private DropConnectPass(Network network, INDArray x, int first, MaskSource masks, WeightMaskSource weightMasks,
                            long[] rowKeys, ParallelSamples parallel, NativeBufferPool pool, long chunkElements) {
        this.network = network;
        this.chunkElements = chunkElements;
        for (int i = 0; i < network.layerCount(); i++) {
            if (network.weightDropoutAt(i) > 0.0) {
                INDArray w = network.layer(i).weights();
                boolean plain = w.ordering() == 'c' && !w.isView() && w.data().length() == w.length();
                weights.put(i, plain ? w : w.dup('c'));
            }
        }
        this.first = first;
        this.prefix = prefix(network, x, first);
        this.masks = masks;
        this.weightMasks = weightMasks;
        this.rowKeys = rowKeys;
        this.rows = rowKeys.length;
        this.parallel = parallel;
        this.pool = pool;
    }

    /**
     * Per row of {@code x} (standardised, distinct rows), the statistics of {@code samples >= 1} stochastic
     * passes of {@code network}, which has DropConnect and no batch norm (fold it first: {@link Network#folded}).
     */
    static List<Uncertainty> predict(Network network, INDArray x, long[] rowKeys, int samples, MaskSource masks,
                                     WeightMaskSource weightMasks, boolean includeScores, ParallelSamples parallel,
                                     NativeBufferPool pool, long chunkElements) {
        if (network.hasBatchNorm() || !network.hasDropConnect()) {
            throw new IllegalArgumentException("expected a DropConnect network with its batch norm folded");
        }
        if (weightMasks == null) {
            throw new IllegalArgumentException("a network with DropConnect needs a source of weight masks");
        }
        int rows = rowKeys.length;
        MonteCarloStatistics stats = new MonteCarloStatistics(rows, network.outputs(), includeScores);
        int first = firstStochasticLayer(network);
        DropConnectPass pass = new DropConnectPass(network, x, first, masks, weightMasks, rowKeys, parallel, pool,
                chunkElements);
        int perChunk = samplesPerChunk(samples, (long) rows * widestFrom(network, first), chunkElements);
        double[] outputBias = network.biasValues(network.layerCount() - 1);
        try {
            for (int from = 0; from < samples; from += perChunk) {
                stats.accept(pass.scores(from, Math.min(samples, from + perChunk)), outputBias);
            }
        } finally {
            // Only now: every helper thread of every chunk has stopped writing (ParallelSamples#run).
            pass.release();
        }
        return stats.result(false);
    }

    /**
     * Class scores without the output bias for samples {@code [from, to)}, sample-major: rows
     * {@code [s * B, (s + 1) * B)} are sample {@code from + s}. The array is this pass's buffer, valid until the
     * next call.
     */
    private INDArray scores(int from, int to) {
        int count = to - from;
        int width = (int) prefix.columns();
        double p0 = network.dropoutAt(first);
        // Without unit dropout at its input, the first layer (a DropConnect one) multiplies the same B rows in
        // every sample: they are read from the prefix rather than tiled.
        boolean shared = p0 == 0.0;
        INDArray in = prefix;
        if (!shared) {
            INDArray tiled = buffer(count, -1, width);
            FusedKernel prefixValues = FusedKernel.of(prefix);
            FusedKernel target = FusedKernel.of(tiled);
            parallel.run(count, (long) rows * width, (s0, s1, stop) -> {
                long[] dropped = new long[rows * Dropout.words(width)];
                Scratch scratch = new Scratch(rows * width);
                for (int s = s0; s < s1 && !stop.get(); s++) {
                    fillMasks(dropped, width, from + s, first, p0);
                    target.tile(prefixValues, dropped, Dropout.words(width), keptScale(p0), s * rows * width, rows,
                            width, scratch);
                }
            });
            in = tiled;
        }
        int last = network.layerCount() - 1;
        for (int i = first; ; i++) {
            Layer layer = network.layer(i);
            int out = layer.outputs();
            INDArray z = buffer(count, i, out);
            if (layer.weightDropout() > 0.0 && rows <= FUSED_ROWS) {
                fusedProducts(in, shared, i, z, from, count);
            } else if (layer.weightDropout() > 0.0) {
                maskedProducts(in, shared, i, z, from, count);
            } else {
                Nd4j.gemm(in, layer.weights(), z, false, false, 1.0, 0.0);
            }
            shared = false;
            if (i == last) {
                return z;
            }
            int site = i + 1;
            double p = network.dropoutAt(site);
            boolean relu = layer.activation() == Activation.RELU;
            double[] bias = network.biasValues(i);
            float[] floatBias = network.floatBiasValues(i);
            FusedKernel values = FusedKernel.of(z);
            parallel.run(count, (long) rows * out, (s0, s1, stop) -> {
                long[] dropped = new long[rows * Dropout.words(out)];
                Scratch scratch = new Scratch(rows * out);
                for (int s = s0; s < s1 && !stop.get(); s++) {
                    if (p > 0.0) {
                        fillMasks(dropped, out, from + s, site, p);
                    }
                    values.biasActivateMask(bias, floatBias, relu, dropped, Dropout.words(out), keptScale(p),
                            s * rows * out, rows, out, scratch);
                }
            });
            in = z;
        }
    }

    /**
     * {@code z[sample s] = in[sample s] @ ((M_s * W) / (1 - p))} for each of {@code count} samples of layer
     * {@code layer}: the masked weights of up to {@code threads} samples are built in parallel, then multiplied
     * one after the other. {@code shared}: every sample reads the same B rows, {@code in} itself.
     */
    private void maskedProducts(INDArray in, boolean shared, int layer, INDArray z, int from, int count) {
        Layer l = network.layer(layer);
        int units = Math.multiplyExact(l.inputs(), l.outputs());
        double p = l.weightDropout();
        double scale = keptScale(p);
        // As many masked copies as threads, within the chunk budget, but at least one.
        int group = (int) Math.max(1, Math.min(Math.min(count, parallel.threads()), chunkElements / units));
        INDArray[] masked = new INDArray[group];
        for (int g = 0; g < group; g++) {
            masked[g] = pool.borrow(network.dataType(), l.inputs(), l.outputs());
        }
        try {
            for (int g0 = 0; g0 < count; g0 += group) {
                int base = g0;
                int size = Math.min(group, count - g0);
                parallel.run(size, units, (s0, s1, stop) -> {
                    long[] dropped = new long[Dropout.words(units)];
                    for (int s = s0; s < s1 && !stop.get(); s++) {
                        weightMasks.fill(dropped, units, from + base + s, layer, p);
                        maskWeights(masked[s], layer, dropped, scale, units);
                    }
                });
                for (int s = 0; s < size; s++) {
                    int sample = base + s;
                    INDArray a = shared ? in : sampleRows(in, sample);
                    Nd4j.gemm(a, masked[s], sampleRows(z, sample), false, false, 1.0, 0.0);
                }
            }
        } finally {
            // Every helper has stopped (ParallelSamples#run returns only then) and the products are done.
            for (INDArray buffer : masked) {
                pool.giveBack(buffer);
            }
        }
    }

    /**
     * The same products for a handful of rows, without a masked copy of the weights: per sample (in parallel),
     * {@code z[b] = sum_r in[b, r] * W[r] * factor(r, .)} accumulated row of W by row of W, skipping the rows of W
     * whose inputs are all 0 (ReLU and dropout zeros), so each weight is read once and multiplied only where it
     * matters. A BLAS product of one row cannot amortise the masked copy; this touches each weight once.
     */
    private void fusedProducts(INDArray in, boolean shared, int layer, INDArray z, int from, int count) {
        Layer l = network.layer(layer);
        int inputs = l.inputs();
        int outputs = l.outputs();
        int units = Math.multiplyExact(inputs, outputs);
        double p = l.weightDropout();
        double scale = keptScale(p);
        boolean isFloat = network.dataType() == DataType.FLOAT;
        FloatBuffer inFloats = isFloat ? in.data().asNioFloat() : null;
        DoubleBuffer inDoubles = isFloat ? null : in.data().asNioDouble();
        FloatBuffer zFloats = isFloat ? z.data().asNioFloat() : null;
        DoubleBuffer zDoubles = isFloat ? null : z.data().asNioDouble();
        parallel.run(count, units, (s0, s1, stop) -> {
            long[] dropped = new long[Dropout.words(units)];
            for (int s = s0; s < s1 && !stop.get(); s++) {
                weightMasks.fill(dropped, units, from + s, layer, p);
                int inOffset = shared ? 0 : s * rows * inputs;
                int outOffset = s * rows * outputs;
                if (isFloat) {
                    float[] x = new float[rows * inputs];
                    inFloats.get(inOffset, x, 0, x.length);
                    float[] acc = new float[rows * outputs];
                    fusedFloat(weights.get(layer).data().asNioFloat(), dropped, (float) scale, x, acc, inputs,
                            outputs);
                    zFloats.put(outOffset, acc, 0, acc.length);
                } else {
                    double[] x = new double[rows * inputs];
                    inDoubles.get(inOffset, x, 0, x.length);
                    double[] acc = new double[rows * outputs];
                    fusedDouble(weights.get(layer).data().asNioDouble(), dropped, scale, x, acc, inputs, outputs);
                    zDoubles.put(outOffset, acc, 0, acc.length);
                }
            }
        });
    }

    private void fusedFloat(FloatBuffer weights, long[] dropped, float scale, float[] x, float[] acc, int inputs,
                            int outputs) {
        int factor = Float.floatToRawIntBits(scale);
        float[] row = new float[outputs];
        for (int r = 0; r < inputs; r++) {
            boolean zero = true;
            for (int b = 0; b < rows && zero; b++) {
                zero = x[b * inputs + r] == 0f;
            }
            if (zero) {
                continue;
            }
            weights.get(r * outputs, row, 0, outputs);
            // Weight (r, c) is bit k = r * outputs + c; walk the row's bits a word (or part of one) at a time.
            for (int k = r * outputs, end = k + outputs; k < end; ) {
                int shift = k & 63;
                int n = Math.min(64 - shift, end - k);
                long drop = dropped[k >>> 6] >>> shift;
                int c0 = k - r * outputs;
                for (int b = 0; b < rows; b++) {
                    float xb = x[b * inputs + r];
                    int a0 = b * outputs + c0;
                    for (int j = 0; j < n; j++) {
                        float kept = Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                        acc[a0 + j] += xb * (row[c0 + j] * kept);
                    }
                }
                k += n;
            }
        }
    }

    private void fusedDouble(DoubleBuffer weights, long[] dropped, double scale, double[] x, double[] acc, int inputs,
                             int outputs) {
        long factor = Double.doubleToRawLongBits(scale);
        double[] row = new double[outputs];
        for (int r = 0; r < inputs; r++) {
            boolean zero = true;
            for (int b = 0; b < rows && zero; b++) {
                zero = x[b * inputs + r] == 0.0;
            }
            if (zero) {
                continue;
            }
            weights.get(r * outputs, row, 0, outputs);
            for (int k = r * outputs, end = k + outputs; k < end; ) {
                int shift = k & 63;
                int n = Math.min(64 - shift, end - k);
                long drop = dropped[k >>> 6] >>> shift;
                int c0 = k - r * outputs;
                for (int b = 0; b < rows; b++) {
                    double xb = x[b * inputs + r];
                    int a0 = b * outputs + c0;
                    for (int j = 0; j < n; j++) {
                        double kept = Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                        acc[a0 + j] += xb * (row[c0 + j] * kept);
                    }
                }
                k += n;
            }
        }
    }

    /** {@code target = W * factor}, the factor 0 for a dropped weight and {@code scale} for a kept one. */
    private void maskWeights(INDArray target, int layer, long[] dropped, double scale, int units) {
        if (network.dataType() == DataType.FLOAT) {
            FloatBuffer source = weights.get(layer).data().asNioFloat();
            FloatBuffer values = target.data().asNioFloat();
            float[] w = new float[Math.min(BLOCK, units)];
            float[] block = new float[Math.min(BLOCK, units)];
            int factor = Float.floatToRawIntBits((float) scale);
            for (int k0 = 0; k0 < units; k0 += BLOCK) {
                int k1 = Math.min(units, k0 + BLOCK);
                source.get(k0, w, 0, k1 - k0);
                for (int k = k0, w64 = k0 >>> 6; k < k1; k += 64, w64++) {
                    long drop = dropped[w64];
                    int end = Math.min(64, k1 - k);
                    int b = k - k0;
                    for (int j = 0; j < end; j++) {
                        block[b + j] = w[b + j] * Float.intBitsToFloat(factor & ((int) ((drop >>> j) & 1L) - 1));
                    }
                }
                values.put(k0, block, 0, k1 - k0);
            }
        } else {
            DoubleBuffer source = weights.get(layer).data().asNioDouble();
            DoubleBuffer values = target.data().asNioDouble();
            double[] w = new double[Math.min(BLOCK, units)];
            double[] block = new double[Math.min(BLOCK, units)];
            long factor = Double.doubleToRawLongBits(scale);
            for (int k0 = 0; k0 < units; k0 += BLOCK) {
                int k1 = Math.min(units, k0 + BLOCK);
                source.get(k0, w, 0, k1 - k0);
                for (int k = k0, w64 = k0 >>> 6; k < k1; k += 64, w64++) {
                    long drop = dropped[w64];
                    int end = Math.min(64, k1 - k);
                    int b = k - k0;
                    for (int j = 0; j < end; j++) {
                        block[b + j] = w[b + j] * Double.longBitsToDouble(factor & (((drop >>> j) & 1L) - 1));
                    }
                }
                values.put(k0, block, 0, k1 - k0);
            }
        }
    }

    /** The B rows of sample {@code s} in a sample-major activation buffer, as a view. */
    private INDArray sampleRows(INDArray a, int s) {
        return a.get(NDArrayIndex.interval((long) s * rows, (long) (s + 1) * rows), NDArrayIndex.all());
    }

    /** Every row's drop bits of one sample at one site, row {@code b}'s from word {@code b * words(width)}. */
    private void fillMasks(long[] dropped, int width, long sample, int site, double p) {
        masks.fillRows(dropped, width, sample, site, rowKeys, p);
    }

    /** Output buffer of layer {@code layer} (-1: the tiled input) for {@code count} samples, kept across chunks. */
    private INDArray buffer(int count, int layer, int width) {
        INDArray cached = chunkBuffers.get(layer);
        if (cached != null && cached.rows() == (long) count * rows) {
            return cached;
        }
        if (cached != null) {
            pool.giveBack(cached);
        }
        INDArray fresh = pool.borrow(network.dataType(), (long) count * rows, width);
        chunkBuffers.put(layer, fresh);
        return fresh;
    }

    private void release() {
        chunkBuffers.values().forEach(pool::giveBack);
        chunkBuffers.clear();
    }

    /** The first layer whose input units or whose weights are dropped. */
    static int firstStochasticLayer(Network network) {
        for (int i = 0; i < network.layerCount(); i++) {
            if (network.dropoutAt(i) > 0.0 || network.weightDropoutAt(i) > 0.0) {
                return i;
            }
        }
        return -1;
    }

    /** Layers before the first stochastic one, in test mode, on the request's B rows: the same in every pass. */
    private static INDArray prefix(Network network, INDArray x, int first) {
        INDArray in = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        int rows = (int) in.rows();
        for (int i = 0; i < first; i++) {
            Layer layer = network.layer(i);
            int out = layer.outputs();
            INDArray z = Nd4j.gemm(in, layer.weights(), Nd4j.createUninitialized(network.dataType(),
                    new long[] {rows, out}, 'c'), false, false, 1.0, 0.0);
            int words = Dropout.words(out);
            FusedKernel.of(z).biasActivateMask(network.biasValues(i), network.floatBiasValues(i),
                    layer.activation() == Activation.RELU, new long[rows * words], words, 1.0, 0, rows, out,
                    new Scratch(rows * out));
            in = z;
        }
        return in;
    }

    private static int widestFrom(Network network, int layer) {
        int widest = network.outputs();
        for (int i = layer; i < network.layerCount(); i++) {
            widest = Math.max(widest, network.layer(i).inputs());
        }
        return widest;
    }

    /** Equal chunks (so their buffers are reused) of at most {@code chunkElements} activations per buffer. */
    private static int samplesPerChunk(int samples, long elementsPerSample, long chunkElements) {
        int most = (int) Math.max(1, Math.min(samples, chunkElements / Math.max(1, elementsPerSample)));
        int chunks = (samples + most - 1) / most;
        return (samples + chunks - 1) / chunks;
    }

    private static double keptScale(double p) {
        return 1.0 / (1.0 - p);
    }
}
