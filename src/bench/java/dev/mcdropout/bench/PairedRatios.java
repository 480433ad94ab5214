package dev.mcdropout.bench;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ratios measured in interleaved rounds, as a check on the JMH run when the machine is shared:
 * JMH measures (a), (b), (c) and sgemm minutes apart, so a change in the load from other processes between
 * them skews their ratio. Here every round times each contender back to back (each for at least
 * {@code minRoundMillis}, averaging over the calls), so all see the same load, and the ratio is taken per
 * round; the report gives the median over rounds. Usage:
 * {@code OMP_NUM_THREADS=2 java -cp target/benchmarks.jar dev.mcdropout.bench.PairedRatios [rounds] [minRoundMillis]
 * [contenders]}, contenders a comma list of a, b, c, dc, sgemm (default all). {@code dc} is the engine on the same
 * weights with DropConnect (issue 9); its line gives dc / c (against the dropout engine) and dc against the time its
 * own floating-point work takes at the sgemm rate of the same round ({@link EngineFlops#countDropConnect}).
 * {@code old} is the engine of another build, {@code -Dold.jar=path/to/benchmarks.jar} (see {@link OldEngine}),
 * on the same weights: its line gives c / old and both engines against the sgemm bound, per round.
 */
public final class PairedRatios {

    private static final int SAMPLES = 100;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        long minRoundNanos = (args.length > 1 ? Long.parseLong(args[1]) : 300) * 1_000_000L;
        List<String> wanted = List.of((args.length > 2 ? args[2] : "a,b,c,dc,sgemm").split(","));
        System.out.println("# " + BenchNetworks.environment());
        int threads = Runtime.getRuntime().availableProcessors();
        double sgemmFlops = 2.0 * 6400 * 1024 * 1024;
        Nd4j.getRandom().setSeed(7);
        INDArray ga = Nd4j.rand(DataType.FLOAT, 6400, 1024).subi(0.5);
        INDArray gb = Nd4j.rand(DataType.FLOAT, 1024, 1024).subi(0.5);
        INDArray gc = Nd4j.create(DataType.FLOAT, new long[] {6400, 1024}, 'c');
        String oldJar = System.getProperty("old.jar");
        try (MonteCarloPredictor predictor = new MonteCarloPredictor(threads);
             OldEngine old = oldJar == null ? null : new OldEngine(java.nio.file.Path.of(oldJar), threads)) {
            for (String net : List.of("784-256-10", "784-1024-1024-10")) {
                for (int rows : new int[] {1, 64}) {
                    Network network = BenchNetworks.network(BenchNetworks.spec(net), MonteCarloBenchmark.SEED);
                    Network dropConnect = BenchNetworks.dropConnect(network);
                    MultiLayerNetwork dl4j = BenchNetworks.dl4j(network, MonteCarloBenchmark.SEED);
                    INDArray raw = BenchNetworks.rows(rows, network.inputs(), MonteCarloBenchmark.SEED + 1);
                    INDArray standardized = network.standardize(raw);
                    BenchNetworks.checkEquivalent(network, dl4j, raw);
                    Map<String, Runnable> contenders = new LinkedHashMap<>();
                    contenders.put("a", () -> BenchNetworks.naiveLoop(network, standardized, SAMPLES,
                            MonteCarloBenchmark.SEED));
                    contenders.put("b", () -> BenchNetworks.dl4jLoop(dl4j, raw, SAMPLES));
                    contenders.put("c", () -> predictor.predict(network, raw, SAMPLES, MonteCarloBenchmark.SEED,
                            false));
                    contenders.put("dc", () -> predictor.predict(dropConnect, raw, SAMPLES, MonteCarloBenchmark.SEED,
                            false));
                    contenders.put("sgemm", () -> Nd4j.gemm(ga, gb, gc, false, false, 1.0, 0.0));
                    if (old != null) {
                        Object oldNetwork = old.network(net, MonteCarloBenchmark.SEED);
                        contenders.put("old", () -> old.predict(oldNetwork, raw, SAMPLES, MonteCarloBenchmark.SEED));
                    }
                    contenders.keySet().retainAll(wanted);
                    // warm-up: JIT, ND4J's caches and pools
                    for (int w = 0; w < 3; w++) {
                        contenders.values().forEach(r -> timePerCall(r, minRoundNanos));
                    }
                    Map<String, List<Double>> times = new LinkedHashMap<>();
                    List<Double> bOverC = new ArrayList<>();
                    List<Double> bOverA = new ArrayList<>();
                    List<Double> cOverIdeal = new ArrayList<>();
                    Map<String, List<Double>> cpuTimes = new LinkedHashMap<>();
                    List<Double> cpuBOverC = new ArrayList<>();
                    List<Double> cpuCOverIdeal = new ArrayList<>();
                    double flops = EngineFlops.count(network, rows, SAMPLES);
                    double dcFlops = EngineFlops.countDropConnect(dropConnect, rows, SAMPLES);
                    List<Double> dcOverC = new ArrayList<>();
                    List<Double> dcOverIdeal = new ArrayList<>();
                    List<Double> cpuDcOverC = new ArrayList<>();
                    List<Double> cpuDcOverIdeal = new ArrayList<>();
                    List<Double> cOverOld = new ArrayList<>();
                    List<Double> oldOverIdeal = new ArrayList<>();
                    List<Double> newOverIdeal = new ArrayList<>();
                    List<Double> cpuCOverOld = new ArrayList<>();
                    List<String> order = new ArrayList<>(contenders.keySet());
                    for (int r = 0; r < rounds; r++) {
                        Map<String, Double> round = new LinkedHashMap<>();
                        Map<String, Double> cpu = new LinkedHashMap<>();
                        // rotate the order so no contender always runs right after another
                        for (int k = 0; k < order.size(); k++) {
                            String name = order.get((k + r) % order.size());
                            round.put(name, timePerCall(contenders.get(name), minRoundNanos));
                            cpu.put(name, lastCpuPerCall);
                        }
                        round.forEach((k, v) -> times.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
                        cpu.forEach((k, v) -> cpuTimes.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
                        if (round.containsKey("dc") && round.containsKey("c") && round.containsKey("sgemm")) {
                            double rate = sgemmFlops / (round.get("sgemm") / 1e3);
                            dcOverC.add(round.get("dc") / round.get("c"));
                            dcOverIdeal.add(round.get("dc") / (dcFlops / rate * 1e3));
                            cpuDcOverC.add(cpu.get("dc") / cpu.get("c"));
                            cpuDcOverIdeal.add(cpu.get("dc") / (dcFlops / (sgemmFlops / cpu.get("sgemm"))));
                        }
                        if (round.containsKey("old") && round.containsKey("c") && round.containsKey("sgemm")) {
                            double rate = sgemmFlops / (round.get("sgemm") / 1e3);
                            cOverOld.add(round.get("c") / round.get("old"));
                            oldOverIdeal.add(round.get("old") / (flops / rate * 1e3));
                            newOverIdeal.add(round.get("c") / (flops / rate * 1e3));
                            cpuCOverOld.add(cpu.get("c") / cpu.get("old"));
                        }
                        if (!round.containsKey("a") || !round.containsKey("b")) {
                            continue;
                        }
                        bOverC.add(round.get("b") / round.get("c"));
                        bOverA.add(round.get("b") / round.get("a"));
                        double rate = sgemmFlops / (round.get("sgemm") / 1e3);
                        cOverIdeal.add(round.get("c") / (flops / rate * 1e3));
                        cpuBOverC.add(cpu.get("b") / cpu.get("c"));
                        cpuCOverIdeal.add(cpu.get("c") / (flops / (sgemmFlops / cpu.get("sgemm"))));
                    }
                    if (!dcOverC.isEmpty()) {
                        System.out.printf(Locale.ROOT,
                                "%-17s B=%-3d DropConnect median ms/op: dc %.3f  c %.3f  sgemm6400 %.3f (%.1f GFLOP/s) | "
                                        + "median per-round ratios: dc/c %.2f  dc/ideal %.2f (DropConnect FLOPs %.4g)%n",
                                net, rows, median(times.get("dc")), median(times.get("c")), median(times.get("sgemm")),
                                sgemmFlops / median(times.get("sgemm")) / 1e6, median(dcOverC), median(dcOverIdeal),
                                dcFlops);
                        System.out.println("    dc/c per round: " + fmt(dcOverC) + "   dc/ideal per round: "
                                + fmt(dcOverIdeal));
                        System.out.printf(Locale.ROOT, "    CPU ms/op (process): dc %.3f  c %.3f | median per-round CPU "
                                        + "ratios: dc/c %.2f  dc/ideal %.2f%n", median(cpuTimes.get("dc")),
                                median(cpuTimes.get("c")), median(cpuDcOverC), median(cpuDcOverIdeal));
                    }
                    if (!cOverOld.isEmpty()) {
                        System.out.printf(Locale.ROOT,
                                "%-17s B=%-3d old vs new median ms/op: old %.3f  c %.3f  sgemm6400 %.3f (%.1f GFLOP/s) | "
                                        + "median per-round ratios: c/old %.3f  old/ideal %.2f  c/ideal %.2f "
                                        + "(engine FLOPs %.4g)%n",
                                net, rows, median(times.get("old")), median(times.get("c")), median(times.get("sgemm")),
                                sgemmFlops / median(times.get("sgemm")) / 1e6, median(cOverOld), median(oldOverIdeal),
                                median(newOverIdeal), flops);
                        System.out.println("    c/old per round: " + fmt(cOverOld) + "   c/ideal per round: "
                                + fmt(newOverIdeal));
                        System.out.printf(Locale.ROOT, "    CPU ms/op (process): old %.3f  c %.3f | median per-round CPU "
                                        + "ratio c/old %.3f%n", median(cpuTimes.get("old")), median(cpuTimes.get("c")),
                                median(cpuCOverOld));
                    }
                    if (bOverC.isEmpty()) {
                        continue;
                    }
                    System.out.printf(Locale.ROOT,
                            "%-17s B=%-3d median ms/op: a %.3f  b %.3f  c %.3f  sgemm6400 %.3f (%.1f GFLOP/s) | "
                                    + "median per-round ratios: b/c %.2f  b/a %.2f  c/ideal %.2f (engine FLOPs %.4g)%n",
                            net, rows, median(times.get("a")), median(times.get("b")), median(times.get("c")),
                            median(times.get("sgemm")), sgemmFlops / median(times.get("sgemm")) / 1e6,
                            median(bOverC), median(bOverA), median(cOverIdeal), flops);
                    System.out.println("    b/c per round: " + fmt(bOverC) + "   c/ideal per round: " + fmt(cOverIdeal));
                    System.out.printf(Locale.ROOT,
                            "    CPU ms/op (process): a %.3f  b %.3f  c %.3f  sgemm6400 %.3f | median per-round CPU "
                                    + "ratios: b/c %.2f  c/ideal %.2f%n",
                            median(cpuTimes.get("a")), median(cpuTimes.get("b")), median(cpuTimes.get("c")),
                            median(cpuTimes.get("sgemm")), median(cpuBOverC), median(cpuCOverIdeal));
                }
            }
        }
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** CPU ms (all threads of this JVM, native ones included) per call of the last {@link #timePerCall}. */
    private static double lastCpuPerCall;

    /**
     * Mean wall time per call in ms over as many calls as fit in {@code minNanos} (at least one); the
     * process CPU time per call goes to {@link #lastCpuPerCall}. CPU time does not count time spent waiting
     * for a core that another process holds, so it is the steadier measure on a shared machine (but it
     * does count threads spinning while they wait for work).
     */
    private static double timePerCall(Runnable r, long minNanos) {
        long cpu0 = OS.getProcessCpuTime();
        long start = System.nanoTime();
        int calls = 0;
        long elapsed;
        do {
            r.run();
            calls++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < minNanos);
        lastCpuPerCall = (OS.getProcessCpuTime() - cpu0) / 1e6 / calls;
        return elapsed / 1e6 / calls;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String fmt(List<Double> values) {
        return Arrays.toString(values.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toArray());
    }
}
