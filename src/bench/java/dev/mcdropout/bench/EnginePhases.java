package dev.mcdropout.bench;

import dev.mcdropout.nn.Dropout;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A timing split of the batched Monte Carlo computation, step by step, on one thread and in one chunk of all
 * N samples, following the steps the engine takes (prefix once; masks drawn in Java; the first mask fused
 * with tiling the prefix into a native buffer; per layer a gemm into a preallocated buffer, then bias, ReLU
 * and the next mask in one pass over native memory; scores copied out; streaming statistics in Java), next
 * to the whole {@code predict} call with 1 and 2 threads. Mask drawing is timed apart from the pass that
 * applies it, which the engine fuses. Not a JMH benchmark: it
 * answers "where does the time go", the JMH run answers "how fast is it". Usage:
 * {@code OMP_NUM_THREADS=2 java -cp target/benchmarks.jar dev.mcdropout.bench.EnginePhases 784-256-10 64 100 10}
 */
public final class EnginePhases {

    private final Map<String, long[]> nanos = new LinkedHashMap<>();

    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "784-1024-1024-10";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int warmups = 5;
        System.out.println("# " + BenchNetworks.environment());
        Network network = BenchNetworks.network(BenchNetworks.spec(shape), MonteCarloBenchmark.SEED);
        INDArray raw = BenchNetworks.rows(rows, network.inputs(), MonteCarloBenchmark.SEED + 1);
        EnginePhases phases = new EnginePhases();
        try (MonteCarloPredictor one = new MonteCarloPredictor(1);
             MonteCarloPredictor two = new MonteCarloPredictor(2);
             MonteCarloPredictor oneChunk = new MonteCarloPredictor(2, 1L << 24)) {
            for (int r = 0; r < repeats + warmups; r++) {
                boolean record = r >= warmups;
                long t0 = System.nanoTime();
                phases.run(network, raw, samples, record);
                if (record) {
                    phases.add("sum of the steps above", System.nanoTime() - t0);
                }
                phases.time("engine predict(), 1 thread (whole call)", record,
                        () -> one.predict(network, raw, samples, MonteCarloBenchmark.SEED, false));
                phases.time("engine predict(), 2 threads (whole call)", record,
                        () -> two.predict(network, raw, samples, MonteCarloBenchmark.SEED, false));
                phases.time("engine predict(), 2 threads, one chunk (chunkElements 2^24)", record,
                        () -> oneChunk.predict(network, raw, samples, MonteCarloBenchmark.SEED, false));
            }
        }
        // The minimum is the steadier figure on a shared machine: other processes only ever add time.
        System.out.printf(Locale.ROOT, "%s B=%d N=%d, %d runs after %d warm-ups:%n%-68s %10s %10s%n",
                shape, rows, samples, repeats, warmups, "", "min ms", "mean ms");
        phases.nanos.forEach((name, t) -> System.out.printf(Locale.ROOT, "  %-66s %10.3f %10.3f%n", name,
                t[2] / 1e6, t[0] / 1e6 / t[1]));
    }

    private void run(Network network, INDArray raw, int samples, boolean record) {
        int rows = (int) raw.rows();
        List<Layer> layers = network.layers();
        INDArray x = time("standardize (B rows)", record, () -> network.standardize(raw));
        Layer first = layers.get(0);
        INDArray prefix = time("prefix: x @ W0 + b0, relu (B rows)", record,
                () -> Transforms.relu(x.mmul(first.weights()).addiRowVector(first.bias()), false).dup('c'));
        int width0 = (int) prefix.columns();
        int block0 = rows * width0;
        float[][] masks = new float[samples][];
        time("L1 masks: Dropout.scaledMask, N x (B x " + width0 + ")", record, () -> {
            for (int s = 0; s < samples; s++) {
                masks[s] = Dropout.scaledMask(MonteCarloBenchmark.SEED, s, 1, rows, width0, network.dropoutAt(1),
                        DataType.FLOAT).data().asFloat();
            }
            return masks;
        });
        INDArray tiled = Nd4j.createUninitialized(DataType.FLOAT, new long[] {(long) samples * rows, width0}, 'c');
        time("L1 tile: mask * prefix into native buffer (Java, NIO)", record, () -> {
            FloatBuffer source = prefix.data().asNioFloat();
            FloatBuffer target = tiled.data().asNioFloat();
            for (int s = 0; s < samples; s++) {
                for (int k = 0; k < block0; k++) {
                    target.put(s * block0 + k, masks[s][k] * source.get(k));
                }
            }
            return target;
        });
        INDArray in = tiled;
        for (int i = 1; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            int width = (int) in.columns();
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT,
                    new long[] {(long) samples * rows, layer.outputs()}, 'c');
            INDArray current = in;
            time("L" + i + " product " + samples * rows + "x" + width + " @ " + width + "x" + layer.outputs()
                    + " (Nd4j.gemm into buffer)", record,
                    () -> Nd4j.gemm(current, layer.weights(), out, false, false, 1.0, 0.0));
            if (i == layers.size() - 1) {
                in = out;
                break;
            }
            int site = i + 1;
            int block = rows * layer.outputs();
            double p = network.dropoutAt(site);
            float[][] next = new float[samples][];
            time("L" + site + " masks: Dropout.scaledMask, N x (B x " + layer.outputs() + ")", record, () -> {
                for (int s = 0; s < samples; s++) {
                    next[s] = Dropout.scaledMask(MonteCarloBenchmark.SEED, s, site, rows, layer.outputs(), p,
                            DataType.FLOAT).data().asFloat();
                }
                return next;
            });
            float[] bias = layer.bias().toFloatVector();
            time("L" + i + " bias + relu + L" + site + " mask, fused (Java, NIO)", record, () -> {
                FloatBuffer values = out.data().asNioFloat();
                int w = bias.length;
                for (int s = 0; s < samples; s++) {
                    float[] mask = next[s];
                    for (int k = 0; k < block; k++) {
                        int idx = s * block + k;
                        values.put(idx, Math.max(values.get(idx) + bias[k % w], 0f) * mask[k]);
                    }
                }
                return values;
            });
            if (i == 1) {
                alternatives(out, bias, next, samples, block, record);
            }
            in = out;
        }
        INDArray scores = in;
        float[] flat = time("scores: copy out to Java", record, () -> {
            float[] o = new float[(int) scores.length()];
            scores.data().asNioFloat().get(o);
            return o;
        });
        int classes = network.outputs();
        float[] outBias = layers.get(layers.size() - 1).bias().toFloatVector();
        time("statistics: bias, softmax, entropy, Welford (Java)", record, () -> {
            double[] mean = new double[rows * classes];
            double[] m2 = new double[rows * classes];
            double[] entropy = new double[rows];
            double[] p = new double[classes];
            for (int s = 0; s < samples; s++) {
                for (int b = 0; b < rows; b++) {
                    int off = (s * rows + b) * classes;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        max = Math.max(max, flat[off + c] + outBias[c]);
                    }
                    double sum = 0;
                    for (int c = 0; c < classes; c++) {
                        p[c] = Math.exp(flat[off + c] + outBias[c] - max);
                        sum += p[c];
                    }
                    for (int c = 0; c < classes; c++) {
                        p[c] /= sum;
                        if (p[c] > 0) {
                            entropy[b] -= p[c] * Math.log(p[c]);
                        }
                        double delta = p[c] - mean[b * classes + c];
                        mean[b * classes + c] += delta / (s + 1);
                        m2[b * classes + c] += delta * (p[c] - mean[b * classes + c]);
                    }
                }
            }
            return m2;
        });
    }

    /**
     * Candidate replacements for the two Java steps that cost the most after the products, timed on a copy
     * of the same data: the bias, ReLU and mask as three native ND4J ops, and masks drawn one random bit
     * per unit (exact for p = 1/2, the case) instead of one 32-bit draw per unit.
     */
    private void alternatives(INDArray z, float[] bias, float[][] masks, int samples, int block, boolean record) {
        INDArray copy = z.dup('c');
        INDArray biasRow = Nd4j.create(bias, new long[] {1, bias.length}, 'c');
        INDArray nativeMask = time("  alt: mask to native (bulk NIO put)", record, () -> {
            INDArray m = Nd4j.createUninitialized(DataType.FLOAT, copy.shape(), 'c');
            FloatBuffer buffer = m.data().asNioFloat();
            for (int s = 0; s < samples; s++) {
                buffer.put(s * block, masks[s]);
            }
            return m;
        });
        time("  alt: bias + relu + mask as 3 native ops (addiRowVector, relu, muli)", record,
                () -> Transforms.relu(copy.addiRowVector(biasRow), false).muli(nativeMask));
        // Applying keep-bits: per-element bit extraction (as the engine does since b61034d) against
        // expanding each byte of bits to 8 floats through a table first, so the multiply loop is plain.
        long[][] keepBits = new long[samples][(block + 63) >>> 6];
        for (int s = 0; s < samples; s++) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(MonteCarloBenchmark.SEED + s);
            for (int w = 0; w < keepBits[s].length; w++) {
                keepBits[s][w] = random.nextLong();
            }
        }
        float[] scratch = new float[block];
        FloatBuffer values = copy.data().asNioFloat();
        time("  alt: bias+relu+bit mask, bulk copy + per-element bit extraction", record, () -> {
            int w = bias.length;
            for (int s = 0; s < samples; s++) {
                long[] dropped = keepBits[s];
                values.get(s * block, scratch, 0, block);
                for (int row = 0; row < block; row += w) {
                    for (int j = 0; j < w; j++) {
                        int k = row + j;
                        float x = scratch[k] + bias[j];
                        scratch[k] = Math.max(x, 0f) * (2f * (1 - (int) ((dropped[k >>> 6] >>> k) & 1L)));
                    }
                }
                values.put(s * block, scratch, 0, block);
            }
            return scratch;
        });
        float[][] table = new float[256][8];
        for (int b = 0; b < 256; b++) {
            for (int i = 0; i < 8; i++) {
                table[b][i] = ((b >>> i) & 1) == 0 ? 2f : 0f;
            }
        }
        float[] expanded = new float[block];
        time("  alt: bias+relu+bit mask, bulk copy + table-expanded mask, plain loop", record, () -> {
            int w = bias.length;
            for (int s = 0; s < samples; s++) {
                long[] dropped = keepBits[s];
                for (int k = 0; k < block; k += 8) {
                    System.arraycopy(table[(int) ((dropped[k >>> 6] >>> (k & 63)) & 0xFF)], 0, expanded, k, 8);
                }
                values.get(s * block, scratch, 0, block);
                for (int row = 0; row < block; row += w) {
                    for (int j = 0; j < w; j++) {
                        scratch[row + j] = Math.max(scratch[row + j] + bias[j], 0f) * expanded[row + j];
                    }
                }
                values.put(s * block, scratch, 0, block);
            }
            return scratch;
        });
        time("  alt: masks for p = 1/2 from one random bit per unit (Java)", record, () -> {
            float[][] out = new float[samples][block];
            for (int s = 0; s < samples; s++) {
                java.util.SplittableRandom random = new java.util.SplittableRandom(MonteCarloBenchmark.SEED + s);
                float[] m = out[s];
                for (int k = 0; k < block; k += 64) {
                    long bits = random.nextLong();
                    int end = Math.min(64, block - k);
                    for (int b = 0; b < end; b++) {
                        m[k + b] = ((bits >>> b) & 1L) * 2f;
                    }
                }
            }
            return out;
        });
    }

    private void add(String name, long t) {
        long[] acc = nanos.computeIfAbsent(name, k -> new long[] {0, 0, Long.MAX_VALUE});
        acc[0] += t;
        acc[1]++;
        acc[2] = Math.min(acc[2], t);
    }

    private <T> T time(String name, boolean record, Supplier<T> step) {
        long t0 = System.nanoTime();
        T result = step.get();
        long t = System.nanoTime() - t0;
        if (record) {
            add(name, t);
        }
        return result;
    }
}
