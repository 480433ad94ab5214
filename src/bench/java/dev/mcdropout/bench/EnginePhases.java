package dev.mcdropout.bench;

import dev.mcdropout.nn.Dropout;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A timing split of the batched Monte Carlo computation, step by step, single-threaded, as the engine does
 * it (tile the prefix, draw masks into a float[], wrap it, multiply, product, bias, ReLU, copy the scores
 * out) and with candidate replacements for the expensive steps. Not a JMH benchmark: it answers "where does
 * the time go", the JMH run answers "how fast is it". Usage:
 * {@code OMP_NUM_THREADS=2 java -cp target/benchmarks.jar dev.mcdropout.bench.EnginePhases 784-256-10 64 100}
 */
public final class EnginePhases {

    private final Map<String, long[]> nanos = new LinkedHashMap<>();

    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "784-1024-1024-10";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        System.out.println("# " + BenchNetworks.environment());
        Network network = BenchNetworks.network(BenchNetworks.spec(shape), MonteCarloBenchmark.SEED);
        INDArray raw = BenchNetworks.rows(rows, network.inputs(), MonteCarloBenchmark.SEED + 1);
        EnginePhases phases = new EnginePhases();
        try (MonteCarloPredictor one = new MonteCarloPredictor(1);
             MonteCarloPredictor two = new MonteCarloPredictor(2)) {
            for (int r = 0; r < repeats + 3; r++) {
                boolean record = r >= 3;
                phases.run(network, raw, samples, record);
                phases.time("engine.predict, 1 thread (whole)", record,
                        () -> one.predict(network, raw, samples, MonteCarloBenchmark.SEED, false));
                phases.time("engine.predict, 2 threads (whole)", record,
                        () -> two.predict(network, raw, samples, MonteCarloBenchmark.SEED, false));
            }
        }
        System.out.printf(Locale.ROOT, "%s B=%d N=%d, mean of %d runs, one chunk of all N samples:%n",
                shape, rows, samples, repeats);
        phases.nanos.forEach((name, t) -> System.out.printf(Locale.ROOT, "  %-62s %10.3f ms%n", name,
                t[0] / 1e6 / t[1]));
    }

    private void run(Network network, INDArray raw, int samples, boolean record) {
        int rows = (int) raw.rows();
        List<Layer> layers = network.layers();
        INDArray x = time("standardize", record, () -> network.standardize(raw));
        Layer first = layers.get(0);
        INDArray prefix = time("prefix: x @ W0 + b0, relu (B rows)", record,
                () -> Transforms.relu(x.mmul(first.weights()).addiRowVector(first.bias()), false));
        INDArray in = time("tile prefix N times (Nd4j.tile)", record, () -> Nd4j.tile(prefix, samples, 1));
        for (int i = 1; i < layers.size(); i++) {
            int site = i;
            int width = (int) in.columns();
            double p = network.dropoutAt(site);
            float[] values = time("L" + i + " masks: Dropout.fill into float[] (Java)", record, () -> {
                float[] v = new float[samples * rows * width];
                for (int s = 0; s < samples; s++) {
                    Dropout.fill(v, s * rows * width, rows * width, MonteCarloBenchmark.SEED, s, site, p);
                }
                return v;
            });
            INDArray mask = time("L" + i + " masks: Nd4j.create(float[])", record,
                    () -> Nd4j.create(values, new long[] {(long) samples * rows, width}, DataType.FLOAT));
            INDArray current = in;
            time("L" + i + " in.muli(mask)", record, () -> current.muli(mask));
            Layer layer = layers.get(i);
            INDArray z = time("L" + i + " product (" + samples * rows + "x" + width + " @ " + width + "x"
                    + layer.outputs() + ")", record, () -> current.mmul(layer.weights()));
            time("L" + i + " addiRowVector(bias)", record, () -> z.addiRowVector(layer.bias()));
            in = i < layers.size() - 1 ? time("L" + i + " relu", record, () -> Transforms.relu(z, false)) : z;
        }
        INDArray scores = in;
        INDArray asDouble = time("scores.castTo(DOUBLE)", record, () -> scores.castTo(DataType.DOUBLE));
        time("scores toDoubleMatrix() (engine's copy-out)", record, asDouble::toDoubleMatrix);
        time("alternative copy-out: castTo(DOUBLE).data().asDouble() (flat)", record,
                () -> scores.castTo(DataType.DOUBLE).dup('c').data().asDouble());
        time("alternative copy-out: scores.data().asFloat() (flat float)", record,
                () -> scores.dup('c').data().asFloat());
        // A candidate fusion: write the masked, tiled prefix straight into the float[] of the first product.
        time("alternative L1: fused tile+mask in Java + Nd4j.create", record, () -> {
            float[] pre = prefix.dup('c').data().asFloat();
            int width = pre.length / rows;
            int block = rows * width;
            float[] v = new float[samples * block];
            for (int s = 0; s < samples; s++) {
                Dropout.fill(v, s * block, block, MonteCarloBenchmark.SEED, s, 1, network.dropoutAt(1));
                for (int j = 0; j < block; j++) {
                    v[s * block + j] *= pre[j];
                }
            }
            return Nd4j.create(v, new long[] {(long) samples * rows, width}, DataType.FLOAT);
        });
        List<INDArray> keep = new ArrayList<>();
        keep.add(scores);
    }

    private <T> T time(String name, boolean record, java.util.function.Supplier<T> step) {
        long t0 = System.nanoTime();
        T result = step.get();
        long t = System.nanoTime() - t0;
        if (record) {
            long[] acc = nanos.computeIfAbsent(name, k -> new long[2]);
            acc[0] += t;
            acc[1]++;
        }
        return result;
    }
}
