package dev.mcdropout.bench;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine against its sgemm bound in CPU time on one thread, for a machine too busy for wall-clock ratios.
 * Run with {@code OMP_NUM_THREADS=1}: BLAS then works on the calling thread, the predictor is given one thread,
 * so the calling thread's CPU time is all the work of a call, and time spent waiting for a core that another
 * process holds is not counted. The sgemm rate is the 6400×1024×1024 product's, also on this one thread; the
 * bound is the engine's FLOPs ({@link EngineFlops}) at that rate. Each round times the sgemm, this build's
 * engine and, with {@code -Dold.jar=...}, an earlier build's ({@link OldEngine}); the report takes per case the
 * minimum CPU time per call over the rounds (other processes only ever add time: cache and memory
 * interference). Usage: {@code OMP_NUM_THREADS=1 java -Dold.jar=old.jar -cp target/benchmarks.jar
 * dev.mcdropout.bench.CpuBound [rounds] [net] [B]}.
 */
public final class CpuBound {

    private static final int SAMPLES = 100;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> nets = args.length > 1 ? List.of(args[1]) : List.of("784-256-10", "784-1024-1024-10");
        int[] batches = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {1, 64};
        System.out.println("# " + BenchNetworks.environment());
        Nd4j.getRandom().setSeed(7);
        INDArray ga = Nd4j.rand(DataType.FLOAT, 6400, 1024).subi(0.5);
        INDArray gb = Nd4j.rand(DataType.FLOAT, 1024, 1024).subi(0.5);
        INDArray gc = Nd4j.create(DataType.FLOAT, new long[] {6400, 1024}, 'c');
        double sgemmFlops = 2.0 * 6400 * 1024 * 1024;
        String oldJar = System.getProperty("old.jar");
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(1);
             OldEngine old = oldJar == null ? null : new OldEngine(Path.of(oldJar), 1)) {
            for (String net : nets) {
                for (int rows : batches) {
                    Network network = BenchNetworks.network(BenchNetworks.spec(net), MonteCarloBenchmark.SEED);
                    INDArray raw = BenchNetworks.rows(rows, network.inputs(), MonteCarloBenchmark.SEED + 1);
                    Object oldNetwork = old == null ? null : old.network(net, MonteCarloBenchmark.SEED);
                    Runnable engine = () -> predictor.predict(network, raw, SAMPLES, MonteCarloBenchmark.SEED, false);
                    Runnable previous = old == null ? null
                            : () -> old.predict(oldNetwork, raw, SAMPLES, MonteCarloBenchmark.SEED);
                    double sgemm = Double.MAX_VALUE;
                    double now = Double.MAX_VALUE;
                    double before = Double.MAX_VALUE;
                    for (int r = 0; r < rounds + 1; r++) {
                        double s = cpuPerCall(() -> Nd4j.gemm(ga, gb, gc, false, false, 1.0, 0.0), 300);
                        double c = cpuPerCall(engine, 300);
                        double o = previous == null ? Double.NaN : cpuPerCall(previous, 300);
                        if (r > 0) { // the first round warms up
                            sgemm = Math.min(sgemm, s);
                            now = Math.min(now, c);
                            before = Math.min(before, o);
                        }
                    }
                    double flops = EngineFlops.count(network, rows, SAMPLES);
                    double bound = flops / (sgemmFlops / (sgemm / 1e3)) * 1e3;
                    System.out.printf(Locale.ROOT, "%-17s B=%-3d CPU ms/call (min of %d rounds, one thread): c %.3f  "
                                    + "old %.3f  sgemm6400 %.2f (%.1f GFLOP/s) | bound %.4f ms | c/bound %.2f  "
                                    + "old/bound %.2f  c/old %.3f%n", net, rows, rounds, now, before, sgemm,
                            sgemmFlops / sgemm / 1e6, bound, now / bound, before / bound, now / before);
                }
            }
        }
    }

    /** Calling-thread CPU ms per call, over as many calls as fit in {@code minMillis} of CPU time. */
    private static double cpuPerCall(Runnable r, long minMillis) {
        long t0 = THREADS.getCurrentThreadCpuTime();
        int calls = 0;
        long spent;
        do {
            r.run();
            calls++;
            spent = THREADS.getCurrentThreadCpuTime() - t0;
        } while (spent < minMillis * 1_000_000L);
        return spent / 1e6 / calls;
    }
}
