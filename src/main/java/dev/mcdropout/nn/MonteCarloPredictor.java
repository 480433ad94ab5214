package dev.mcdropout.nn;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
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
 *       product ({@link FusedKernel}), sample by sample, with each row's masks drawn as 64-unit bit words
 *       just before; the pass is split by sample over at most {@code threads} threads
 *       ({@link ParallelSamples}), while the products use BLAS's own threads;</li>
 *   <li>samples are cut into equal chunks so that no activation buffer holds more than {@code chunkElements}
 *       elements (rows × widest layer × samples in the chunk), except that a chunk has at least one sample:
 *       a request whose rows × widest layer exceeds the budget takes that much per buffer. A request holds one
 *       buffer for the tiled input and one per layer from the first dropout site on, all lent from a pool
 *       kept across requests ({@link NativeBufferPool}) until the request ends, so its native memory is at
 *       most {@code (layers - first site + 1) × max(chunkElements, rows × widest) × element size}
 *       (measured in {@code MonteCarloPredictorTest}); each chunk is folded into streaming statistics in
 *       sample order ({@link MonteCarloStatistics}), rows split over the threads;</li>
 *   <li>when the output layer's input is the only dropout site (one hidden layer) and the output is at most
 *       {@link SkinnyOutput#MAX_CLASSES} wide, there is nothing left for BLAS to do well: each sample's scores
 *       are summed in Java from the prefix's kept, non-zero units ({@link SkinnyOutput}), with no tiled input
 *       and no native buffer.</li>
 * </ul>
 *
 * <p>The tutorial's variants: a network with batch norm predicts through {@link Network#folded()} (batch norm in
 * prediction mode is a fixed affine map, folded into its layer's weights and bias); a network with DropConnect
 * has passes of its own, {@link DropConnectPass}, with one weight mask per sample and layer from a
 * {@link WeightMaskSource}.
 *
 * <p>Adaptive sampling ({@link #predictAdaptive}) runs the same passes in rounds of sample indices
 * {@code [k, k')} over the rows that have not yet met their tolerance, merging each round into per-row running
 * statistics ({@link RowMoments}); since a row's masks are keyed on its sample indices, its answer is the fixed
 * answer of its own sample count.
 *
 * <p>What is reproducible, and how exactly:
 * <ul>
 *   <li>a row's masks are a pure function of {@code (seed, sample, site, row key)}, the row key being a hash
 *       of the row's own values ({@link Dropout#rowKey}): they do not depend on the row's position, the other
 *       rows, the chunking or the threads, and identical rows get identical masks. This is exact;</li>
 *   <li>the chunk plan is a function of the request alone and each element is computed from its own
 *       sample's data only, so on one machine with one BLAS thread count an identical request gives
 *       bit-identical results whatever the predictor's thread count or concurrent load;</li>
 *   <li>the matrix products are BLAS's, which picks its kernels (and so the order of each sum) by CPU, by
 *       matrix shape and by its thread count: across request composition, BLAS threads and machines the
 *       results agree to floating-point rounding, not bit for bit (the tested bound is in
 *       {@code docs/api.md}, "Reproducibility").</li>
 * </ul>
 */
public final class MonteCarloPredictor implements AutoCloseable {

    /** Elements per activation buffer above which a request is split into chunks: 4 Mi floats = 16 MiB. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 22;

    /** A stop signal that is never raised. */
    public static final BooleanSupplier NEVER = () -> false;

    /** Bytes of native activation buffers kept between requests for reuse. */
    public static final long DEFAULT_POOLED_BYTES = 256L << 20;

    private final long chunkElements;
    private final ParallelSamples parallel;
    private final NativeBufferPool buffers = new NativeBufferPool(DEFAULT_POOLED_BYTES);

    /**
     * The request's standardised rows and the deterministic layers before the first dropout site, lent from a
     * pool of their own (outside the activation buffers' bound, as they were when allocated per request): a
     * fresh native matrix costs tens of microseconds in JavaCPP's bookkeeping, as much as a one-row request's
     * arithmetic (docs/performance.md, "Where a request's time goes").
     */
    private final NativeBufferPool inputBuffers = new NativeBufferPool(DEFAULT_POOLED_INPUT_BYTES);

    /** Bytes of native input and prefix matrices kept between requests for reuse. */
    static final long DEFAULT_POOLED_INPUT_BYTES = 32L << 20;

    /** Heap score blocks (a chunk's scores for the statistics) kept for reuse, each at most this many doubles (8 MiB). */
    private static final int MAX_POOLED_SCORES = 1 << 20;
    private final ConcurrentLinkedDeque<double[]> heapScores = new ConcurrentLinkedDeque<>();

    /** Heap blocks for the rows of an ND4J matrix read into Java ({@link #rowsOf}), kept for reuse as the scores are. */
    private final ConcurrentLinkedDeque<double[]> heapRows = new ConcurrentLinkedDeque<>();

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
        this.chunkElements = chunkElements;
        this.parallel = new ParallelSamples(threads);
    }

    public int threads() {
        return parallel.threads();
    }

    /**
     * Per row of {@code raw} (unstandardised features), the statistics of {@code samples} stochastic passes
     * with masks drawn from {@code seed}, the sample, the site and the row's values; {@code samples == 0} is
     * one test-mode pass.
     */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, long seed, boolean includeScores) {
        if (raw.rank() != 2 || raw.rows() < 1) {
            throw new IllegalArgumentException("expected a non-empty matrix of rows");
        }
        RowMatrix rows = rowsOf(raw);
        try {
            return predict(network, rows, samples, MaskSource.seeded(seed), WeightMaskSource.seeded(seed),
                    includeScores);
        } finally {
            giveBack(heapRows, rows.values());
        }
    }

    /** As {@link #predict(Network, INDArray, int, long, boolean)} for rows held in Java arrays. */
    public List<Uncertainty> predict(Network network, double[][] raw, int samples, long seed, boolean includeScores) {
        return predict(network, raw, samples, MaskSource.seeded(seed), WeightMaskSource.seeded(seed), includeScores);
    }

    /** As {@link #predict(Network, INDArray, int, long, boolean)} with masks from {@code masks}. */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, MaskSource masks,
                                     boolean includeScores) {
        if (raw.rank() != 2 || raw.rows() < 1) {
            throw new IllegalArgumentException("expected a non-empty matrix of rows");
        }
        RowMatrix rows = rowsOf(raw);
        try {
            return predict(network, rows, samples, masks, includeScores);
        } finally {
            giveBack(heapRows, rows.values());
        }
    }

    /**
     * The rows of a matrix in one flat block, read through NIO in bulk (INDArray#toDoubleMatrix reads element
     * by element; a cast to DOUBLE would allocate a native copy first). The block is borrowed from
     * {@link #heapRows} (a fresh one is a few hundred kilobytes to zero and fault in per call, as much as the
     * statistics of a small request): the caller gives it back once the answer is computed.
     */
    private RowMatrix rowsOf(INDArray raw) {
        INDArray c = raw.ordering() == 'c' && !raw.isView() && raw.data().length() == raw.length() ? raw
                : raw.dup('c');
        if (c.dataType() != DataType.FLOAT && c.dataType() != DataType.DOUBLE) {
            c = c.castTo(DataType.DOUBLE);
        }
        int rows = (int) c.rows();
        int cols = (int) c.columns();
        int length = Math.multiplyExact(rows, cols);
        double[] out = borrow(heapRows, length);
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(0, out, 0, length);
        } else {
            FloatBuffer values = c.data().asNioFloat();
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                values.get(r * cols, row, 0, cols);
                for (int j = 0; j < cols; j++) {
                    out[r * cols + j] = row[j];
                }
            }
        }
        return new RowMatrix(out, rows, cols);
    }

    /**
     * As {@link #predict(Network, INDArray, int, long, boolean)} with masks from {@code masks}, for rows held
     * in Java arrays. Each distinct row is computed once ({@link DistinctRows}); the {@code row} that
     * {@code masks} is asked about is the row's position among the distinct rows.
     */
    public List<Uncertainty> predict(Network network, double[][] raw, int samples, MaskSource masks,
                                     boolean includeScores) {
        return predict(network, raw, samples, masks, null, includeScores);
    }

    /**
     * As {@link #predict(Network, double[][], int, MaskSource, boolean)}, with the DropConnect masks of a
     * network that has them from {@code weightMasks} (one mask per sample and layer, shared by the sample's
     * rows; see {@link DropConnectPass}). A network without DropConnect does not use it.
     */
    public List<Uncertainty> predict(Network network, double[][] raw, int samples, MaskSource masks,
                                     WeightMaskSource weightMasks, boolean includeScores) {
        if (raw.length == 0) {
            throw new IllegalArgumentException("expected at least one row");
        }
        for (double[] row : raw) {
            if (row.length != network.inputs()) {
                throw new IllegalArgumentException("each row needs " + network.inputs() + " features, got " + row.length);
            }
        }
        return predict(network, RowMatrix.of(raw, network.inputs()), samples, masks, weightMasks, includeScores);
    }

    /** As {@link #predict(Network, INDArray, int, long, boolean)} for rows in one flat block (a parsed request). */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, long seed, boolean includeScores) {
        return predict(network, raw, samples, MaskSource.seeded(seed), WeightMaskSource.seeded(seed), includeScores);
    }

    /**
     * As {@link #predict(Network, double[][], int, MaskSource, boolean)} for rows in one flat block: no array
     * per row is made on the way.
     */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, MaskSource masks,
                                     boolean includeScores) {
        return predict(network, raw, samples, masks, null, includeScores);
    }

    /** As {@link #predict(Network, double[][], int, MaskSource, WeightMaskSource, boolean)} for a flat block. */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, MaskSource masks,
                                     WeightMaskSource weightMasks, boolean includeScores) {
        return predict(network, raw, samples, masks, weightMasks, includeScores, NEVER);
    }

    /** As {@link #predict(Network, RowMatrix, int, long, boolean)}, stopping early when {@code stop} turns true. */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, long seed, boolean includeScores,
                                     BooleanSupplier stop) {
        return predict(network, raw, samples, MaskSource.seeded(seed), WeightMaskSource.seeded(seed), includeScores,
                stop);
    }

    /**
     * As {@link #predict(Network, RowMatrix, int, MaskSource, WeightMaskSource, boolean)}, stopping early when
     * {@code stop} turns true: it is asked between samples of every element-wise pass and between matrix
     * products, so the work stops within one product of the signal, and {@link PredictionStoppedException} is
     * thrown once every helper thread has stopped.
     */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, MaskSource masks,
                                     WeightMaskSource weightMasks, boolean includeScores, BooleanSupplier stop) {
        if (samples < 0) {
            throw new IllegalArgumentException("samples must be >= 0, got " + samples);
        }
        requireRows(network, raw);
        DistinctRows distinct = DistinctRows.of(raw, network.dataType());
        List<INDArray> lent = new ArrayList<>(2);
        try {
            INDArray x = standardized(network, distinct, lent);
            Folded folded = fold(network, x, distinct.keys(), 0, samples, masks, weightMasks, includeScores, stop,
                    lent);
            return distinct.expand(folded.stats().result(folded.deterministic()));
        } finally {
            // Only now: the passes, and every helper thread they started, have stopped reading them.
            lent.forEach(inputBuffers::giveBack);
        }
    }

    /**
     * As {@link #predict(Network, RowMatrix, int, long, boolean, BooleanSupplier)} with a seed per row: row
     * {@code r} draws exactly the masks it would draw in a call of its own with seed {@code rowSeeds[r]}
     * ({@link MaskSource#seeded(long[])}), so the rows of several requests, each with its own seed, can be
     * computed in one call and each row's answer is the one it would get alone, to the rounding of products of
     * another shape. Rows are computed once per distinct (values, seed). A network with DropConnect shares one
     * weight mask per sample among all rows of a call, so there every row must carry the same seed.
     */
    public List<Uncertainty> predict(Network network, RowMatrix raw, int samples, long[] rowSeeds,
                                     boolean includeScores, BooleanSupplier stop) {
        if (rowSeeds.length != raw.rows()) {
            throw new IllegalArgumentException(raw.rows() + " rows but " + rowSeeds.length + " seeds");
        }
        boolean oneSeed = true;
        for (long seed : rowSeeds) {
            oneSeed &= seed == rowSeeds[0];
        }
        if (oneSeed && rowSeeds.length > 0) {
            return predict(network, raw, samples, rowSeeds[0], includeScores, stop);
        }
        if (samples > 0 && network.hasDropConnect()) {
            throw new IllegalArgumentException("a network with DropConnect draws one weight mask per sample for all "
                    + "rows of a call: its rows need one seed");
        }
        if (samples < 0) {
            throw new IllegalArgumentException("samples must be >= 0, got " + samples);
        }
        requireRows(network, raw);
        DistinctRows distinct = DistinctRows.of(raw, network.dataType(), rowSeeds);
        List<INDArray> lent = new ArrayList<>(2);
        try {
            INDArray x = standardized(network, distinct, lent);
            Folded folded = fold(network, x, distinct.keys(), 0, samples, MaskSource.seeded(distinct.seeds()), null,
                    includeScores, stop, lent);
            return distinct.expand(folded.stats().result(folded.deterministic()));
        } finally {
            lent.forEach(inputBuffers::giveBack);
        }
    }

    /**
     * Adaptive Monte Carlo: per row of {@code raw}, as many passes as {@code plan} asks for that row, with masks
     * drawn from {@code seed} as in {@link #predict(Network, RowMatrix, int, long, boolean, BooleanSupplier)}.
     */
    public List<AdaptiveUncertainty> predictAdaptive(Network network, RowMatrix raw, AdaptiveSampling plan, long seed,
                                                     boolean includeScores, BooleanSupplier stop) {
        return predictAdaptive(network, raw, plan, MaskSource.seeded(seed), WeightMaskSource.seeded(seed),
                includeScores, stop);
    }

    /**
     * Adaptive Monte Carlo: the rows are run in rounds ({@link AdaptiveSampling}); a round draws the passes
     * {@code [k, k')} for the rows still in it, each row's passes are merged into its running statistics
     * ({@link RowMoments}), and a row leaves once the standard error of each of its mean probabilities is below
     * the tolerance, or at {@code maxSamples}. A row's masks are keyed on its sample index and values, never on
     * its position, so it draws the same passes whichever rows share its rounds: its answer is the fixed answer
     * of {@code samples = samplesUsed} (to rounding, the products being of other shapes), and its stopping point
     * is the same unless a standard error lies within rounding of the tolerance. A network without anything
     * stochastic stops every row at {@code minSamples} passes, computed as one.
     */
    public List<AdaptiveUncertainty> predictAdaptive(Network network, RowMatrix raw, AdaptiveSampling plan,
                                                     MaskSource masks, WeightMaskSource weightMasks,
                                                     boolean includeScores, BooleanSupplier stop) {
        requireRows(network, raw);
        DistinctRows distinct = DistinctRows.of(raw, network.dataType());
        List<INDArray> lent = new ArrayList<>(2);
        try {
            INDArray x = standardized(network, distinct, lent);
            long[] keys = distinct.keys();
            RowMoments[] moments = new RowMoments[keys.length];
            boolean deterministic = false;
            int[] active = IntStream.range(0, keys.length).toArray();
            for (int drawn = 0; active.length > 0; ) {
                int next = plan.nextCheck(drawn);
                INDArray rows = active.length == keys.length ? x : x.getRows(active);
                long[] rowKeys = new long[active.length];
                for (int i = 0; i < active.length; i++) {
                    rowKeys[i] = keys[active[i]];
                }
                Folded round = fold(network, rows, rowKeys, drawn, next - drawn, masks, weightMasks, includeScores, stop,
                        lent);
                int[] staying = new int[active.length];
                int stay = 0;
                for (int i = 0; i < active.length; i++) {
                    int r = active[i];
                    RowMoments m = round.stats().row(i);
                    moments[r] = moments[r] == null ? m : moments[r].merge(m);
                    if (!round.deterministic() && next < plan.maxSamples()
                            && !(moments[r].standardError() < plan.tolerance())) {
                        staying[stay++] = r;
                    }
                }
                deterministic = round.deterministic();
                active = Arrays.copyOf(staying, stay);
                drawn = next;
            }
            List<AdaptiveUncertainty> answers = new ArrayList<>(keys.length);
            for (RowMoments m : moments) {
                answers.add(deterministic
                        ? new AdaptiveUncertainty(m.summary(true), plan.minSamples(), 0.0)
                        : new AdaptiveUncertainty(m.summary(false), (int) m.passes(), m.standardError()));
            }
            int[] indexOf = distinct.indexOf();
            List<AdaptiveUncertainty> out = new ArrayList<>(indexOf.length);
            boolean[] handedOut = new boolean[answers.size()];
            for (int index : indexOf) {
                out.add(handedOut[index] ? answers.get(index).copy() : answers.get(index));
                handedOut[index] = true;
            }
            return out;
        } finally {
            lent.forEach(inputBuffers::giveBack);
        }
    }

    private static void requireRows(Network network, RowMatrix raw) {
        if (raw.rows() == 0) {
            throw new IllegalArgumentException("expected at least one row");
        }
        if (raw.columns() != network.inputs()) {
            throw new IllegalArgumentException("each row needs " + network.inputs() + " features, got " + raw.columns());
        }
    }

    /** The distinct rows standardised, or the out-of-range problem named by its row in the request. */
    private INDArray standardized(Network network, DistinctRows distinct, List<INDArray> lent) {
        INDArray x = lend(lent, network.dataType(), distinct.rows().rows(), network.inputs());
        try {
            network.standardizeInto(distinct.rows(), x);
            return x;
        } catch (InputOutOfRangeException e) {
            int row = distinct.firstRequestRow(e.row());
            throw new InputOutOfRangeException(row, e.feature(),
                    e.getMessage().replaceFirst("^row " + e.row() + ",", "row " + row + ","));
        }
    }

    /**
     * Statistics of the passes {@code [firstSample, firstSample + samples)} over the rows of {@code x}
     * (standardised, distinct, keys {@code rowKeys}), folded in sample order; {@code deterministic}: the network
     * has nothing stochastic (or {@code samples == 0}) and one test-mode pass stands for all of them. A row's
     * passes depend only on their sample indices, so disjoint ranges of one row can be folded apart and merged
     * ({@link RowMoments}).
     */
    private Folded fold(Network network, INDArray x, long[] rowKeys, int firstSample, int samples,
                        MaskSource masks, WeightMaskSource weightMasks, boolean includeScores,
                        BooleanSupplier stop, List<INDArray> lent) {
        if (samples > 0 && (network.hasBatchNorm() || network.hasDropConnect())) {
            // Monte Carlo passes keep batch norm in prediction mode, a fixed affine map folded into the weights;
            // DropConnect draws weight masks per sample and has passes of its own (stop is asked before them).
            network = network.folded();
            if (network.hasDropConnect()) {
                if (stop.getAsBoolean()) {
                    throw new PredictionStoppedException();
                }
                return new Folded(DropConnectPass.fold(network, x, rowKeys, firstSample, samples, masks,
                        weightMasks, includeScores, parallel, buffers, chunkElements), false);
            }
        }
        int rows = (int) x.rows();
        MonteCarloStatistics stats = new MonteCarloStatistics(rows, network.outputs(), includeScores);

        int firstSite = firstDropoutSite(network);
        if (samples == 0 || firstSite < 0) {
            // No randomness: every pass would be this one, so the spread is exactly zero.
            stats.accept(network.forward(x, null).scores(), null);
            return new Folded(stats, true);
        }

        if (stop.getAsBoolean()) {
            throw new PredictionStoppedException();
        }
        if (firstSite == network.layerCount() - 1 && network.outputs() <= SkinnyOutput.MAX_CLASSES) {
            return skinnyOutput(network, prefix(network, x, firstSite, lent), rowKeys, firstSample, samples, masks, stats,
                    stop);
        }
        Pass pass = new Pass(network, prefix(network, x, firstSite, lent), firstSite, masks, rowKeys, stop);
        int perChunk = samplesPerChunk(samples, (long) rows * widestFrom(network, firstSite));
        int end = firstSample + samples;
        double[] chunkScores = borrow(heapScores, perChunk * rows * network.outputs());
        try {
            for (int from = firstSample; from < end; from += perChunk) {
                stats.accept(pass.scores(from, Math.min(end, from + perChunk)), pass.outputBias, parallel,
                        chunkScores);
            }
        } finally {
            // Only now: every helper thread of every chunk has stopped writing (ParallelSamples#run).
            pass.release();
            giveBack(heapScores, chunkScores);
        }
        return new Folded(stats, false);
    }

    /** Folded passes; {@code deterministic}: one test-mode pass that stands for every pass (no spread). */
    private record Folded(MonteCarloStatistics stats, boolean deterministic) {
    }

    /**
     * The passes of a network whose only dropout site is the output layer's input: every sample's scores come
     * straight from the prefix and the masks ({@link SkinnyOutput}), split by sample over the threads, into a
     * heap block of at most {@code chunkElements} scores that is folded into the statistics chunk by chunk.
     * No native buffer and no product beyond the prefix's.
     */
    private Folded skinnyOutput(Network network, INDArray prefix, long[] rowKeys, int firstSample, int samples,
                                MaskSource masks, MonteCarloStatistics stats, BooleanSupplier stop) {
        int site = network.layerCount() - 1;
        int rows = rowKeys.length;
        int classes = network.outputs();
        double p = network.dropoutAt(site);
        SkinnyOutput output = SkinnyOutput.of(prefix, network, keptScale(p));
        int perChunk = samplesPerChunk(samples, (long) rows * classes);
        double[] scores = borrow(heapScores, perChunk * rows * classes);
        double[] bias = network.biasValues(site);
        try {
            skinnyChunks(output, rowKeys, firstSample, samples, perChunk, site, p, masks, scores, bias, stats, stop);
        } finally {
            giveBack(heapScores, scores);
        }
        return new Folded(stats, false);
    }

    private void skinnyChunks(SkinnyOutput output, long[] rowKeys, int firstSample, int samples, int perChunk,
                              int site, double p,
                              MaskSource masks, double[] scores, double[] bias, MonteCarloStatistics stats,
                              BooleanSupplier stop) {
        int rows = output.rows;
        int classes = output.classes;
        int width = output.width;
        int words = output.words;
        for (int from = 0; from < samples; from += perChunk) {
            int chunkFrom = firstSample + from;
            int count = Math.min(samples, from + perChunk) - from;
            parallel.run(count, (long) rows * width, (s0, s1, halt) -> {
                long[] dropped = new long[rows * words];
                for (int s = s0; s < s1 && !halt.get() && !stop.getAsBoolean(); s++) {
                    masks.fillRows(dropped, width, chunkFrom + s, site, rowKeys, p);
                    output.scores(dropped, scores, s * rows * classes);
                }
            });
            if (stop.getAsBoolean()) {
                throw new PredictionStoppedException();
            }
            stats.accept(scores, count, bias, parallel);
        }
    }

    /**
     * A heap block from {@code pool} for at least {@code length} values, reused across requests (a fresh block of
     * a few hundred kilobytes per request is a page fault per 4 KiB on these machines once the collector has handed
     * its memory back; see run 10 in {@code docs/performance.md}).
     */
    private static double[] borrow(ConcurrentLinkedDeque<double[]> pool, int length) {
        double[] block = pool.pollFirst();
        return block != null && block.length >= length ? block : new double[length];
    }

    private void giveBack(ConcurrentLinkedDeque<double[]> pool, double[] block) {
        if (block.length <= MAX_POOLED_SCORES && pool.size() <= parallel.threads()) {
            pool.addFirst(block);
        }
    }

    /** Native bytes lent to requests at most at once since the last reset (for the memory-bound test). */
    long peakBufferBytes() {
        return buffers.peakLentBytes();
    }

    long lentBufferBytes() {
        return buffers.lentBytes();
    }

    void resetPeakBufferBytes() {
        buffers.resetPeak();
    }

    @Override
    public void close() {
        parallel.close();
    }

    /** The stochastic part of the passes for one request: layers from the first dropout site on. */
    private final class Pass {
        private final Network network;
        private final INDArray prefix;
        private final int firstSite;
        private final MaskSource masks;
        private final long[] rowKeys;
        private final int rows;
        private final BooleanSupplier stop;
        private final Map<Integer, INDArray> chunkBuffers = new HashMap<>();
        final double[] outputBias;

        Pass(Network network, INDArray prefix, int firstSite, MaskSource masks, long[] rowKeys, BooleanSupplier stop) {
            this.stop = stop;
            this.network = network;
            this.prefix = prefix;
            this.firstSite = firstSite;
            this.masks = masks;
            this.rowKeys = rowKeys;
            this.rows = rowKeys.length;
            this.outputBias = network.biasValues(network.layerCount() - 1);
        }

        /**
         * Class scores without the output bias for samples {@code [from, to)}, sample-major: rows
         * {@code [s * B, (s + 1) * B)} are sample {@code from + s}. The array is this pass's buffer, valid until
         * the next call.
         */
        INDArray scores(int from, int to) {
            int count = to - from;
            int width = (int) prefix.columns();
            INDArray in = buffer(count, -1, width);
            FusedKernel prefixValues = FusedKernel.of(prefix);
            FusedKernel target = FusedKernel.of(in);
            double p0 = network.dropoutAt(firstSite);
            parallel.run(count, (long) rows * width, (s0, s1, halt) -> {
                long[] dropped = new long[rows * Dropout.words(width)];
                Scratch scratch = new Scratch(rows * width);
                for (int s = s0; s < s1 && !halt.get() && !stop.getAsBoolean(); s++) {
                    fillMasks(dropped, width, from + s, firstSite, p0);
                    target.tile(prefixValues, dropped, Dropout.words(width), keptScale(p0), s * rows * width, rows,
                            width, scratch);
                }
            });
            stopIfAsked();
            int last = network.layerCount() - 1;
            for (int i = firstSite; ; i++) {
                // The bias is left out of the product and added in the fused pass that follows it. Products
                // go into buffers allocated once per request: ND4J's mmul allocates and then copies its result.
                INDArray weights = network.layer(i).weights();
                int out = (int) weights.columns();
                INDArray z = Nd4j.gemm(in, weights, buffer(count, i, out), false, false, 1.0, 0.0);
                stopIfAsked();
                if (i == last) {
                    return z;
                }
                int site = i + 1;
                double p = network.dropoutAt(site);
                boolean relu = network.layer(i).activation() == Activation.RELU;
                double[] bias = network.biasValues(i);
                float[] floatBias = network.floatBiasValues(i);
                FusedKernel values = FusedKernel.of(z);
                parallel.run(count, (long) rows * out, (s0, s1, halt) -> {
                    long[] dropped = new long[rows * Dropout.words(out)];
                    Scratch scratch = new Scratch(rows * out);
                    for (int s = s0; s < s1 && !halt.get() && !stop.getAsBoolean(); s++) {
                        fillMasks(dropped, out, from + s, site, p);
                        values.biasActivateMask(bias, floatBias, relu, dropped, Dropout.words(out), keptScale(p),
                                s * rows * out, rows, out, scratch);
                    }
                });
                stopIfAsked();
                in = z;
            }
        }

        /** Called after each pass and product: a pass cut short by the signal has left samples unfilled. */
        private void stopIfAsked() {
            if (stop.getAsBoolean()) {
                throw new PredictionStoppedException();
            }
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
    }

    /** Inverted dropout's scale for kept units, 1 / (1 - p). */
    private static double keptScale(double p) {
        return 1.0 / (1.0 - p);
    }

    /** A {@code rows x columns} matrix from the input pool, remembered in {@code lent} to be given back. */
    private INDArray lend(List<INDArray> lent, DataType type, long rows, long columns) {
        INDArray buffer = inputBuffers.borrow(type, rows, columns);
        lent.add(buffer);
        return buffer;
    }

    /**
     * Layers before the first dropout site, in test mode, on the request's B rows: the same in every pass. Its
     * matrices come from the input pool and are listed in {@code lent}.
     */
    private INDArray prefix(Network network, INDArray x, int firstSite, List<INDArray> lent) {
        INDArray in = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        int rows = (int) in.rows();
        for (int i = 0; i < firstSite; i++) {
            Layer layer = network.layer(i);
            int out = layer.outputs();
            INDArray z = Nd4j.gemm(in, layer.weights(), lend(lent, network.dataType(), rows, out),
                    false, false, 1.0, 0.0);
            int words = Dropout.words(out);
            FusedKernel.of(z).biasActivateMask(network.biasValues(i), network.floatBiasValues(i),
                    layer.activation() == Activation.RELU, new long[rows * words], words, 1.0, 0, rows, out,
                    new Scratch(rows * out));
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

    /** Equal chunks (so their buffers are reused) of at most {@code chunkElements} activations per buffer. */
    private int samplesPerChunk(int samples, long elementsPerSample) {
        int most = (int) Math.max(1, Math.min(samples, chunkElements / Math.max(1, elementsPerSample)));
        int chunks = (samples + most - 1) / most;
        return (samples + chunks - 1) / chunks;
    }

    @Override
    public String toString() {
        return "MonteCarloPredictor[threads=" + threads() + ", chunkElements=" + chunkElements + "]";
    }
}
