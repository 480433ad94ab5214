package dev.mcdropout.bench;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's {@code predict} in a plain loop for a profiler to watch (JFR: start the JVM with
 * {@code -XX:StartFlightRecording=filename=engine.jfr,settings=profile}): net, B, N, seconds, threads. Prints
 * ms per call and heap bytes allocated per call by the calling thread, once per second, so a profile can be
 * read next to the times it was taken with. Usage:
 * {@code OMP_NUM_THREADS=2 java -cp target/benchmarks.jar dev.mcdropout.bench.EngineLoop 784-256-10 64 100 20 2}
 */
public final class EngineLoop {

    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "784-256-10";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        long seconds = args.length > 3 ? Long.parseLong(args[3]) : 20;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors();
        System.out.println("# " + BenchNetworks.environment());
        Network network = BenchNetworks.network(BenchNetworks.spec(shape), MonteCarloBenchmark.SEED);
        INDArray raw = BenchNetworks.rows(rows, network.inputs(), MonteCarloBenchmark.SEED + 1);
        var memory = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(threads)) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                long b0 = memory.getThreadAllocatedBytes(self);
                int calls = 0;
                double best = Double.MAX_VALUE;
                while (System.nanoTime() - t0 < 1_000_000_000L) {
                    long c0 = System.nanoTime();
                    predictor.predict(network, raw, samples, MonteCarloBenchmark.SEED, false);
                    best = Math.min(best, (System.nanoTime() - c0) / 1e6);
                    calls++;
                }
                System.out.printf(Locale.ROOT, "%s B=%d N=%d threads=%d: %d calls, mean %.3f ms, best %.3f ms, "
                                + "%.0f KB allocated per call (calling thread)%n", shape, rows, samples, threads, calls,
                        (System.nanoTime() - t0) / 1e6 / calls, best,
                        (memory.getThreadAllocatedBytes(self) - b0) / 1024.0 / calls);
            }
        }
    }
}
