package dev.mcdropout.bench;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Uncertainty;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 2's benchmark: N = 100 Monte Carlo dropout samples for B rows through a random float32 network,
 * done (a) as a naive loop of N ND4J forward passes, (b) DL4J's way, {@code output(x, true)} N times, and
 * (c) by the engine, {@link MonteCarloPredictor}. Everything but the Monte Carlo work itself (building
 * networks, copying weights, drawing the input rows) happens in {@link #setUp()}.
 *
 * <p>Run with {@code OMP_NUM_THREADS} set (ND4J otherwise sizes its OpenMP and BLAS pools from the host);
 * see docs/performance.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class MonteCarloBenchmark {

    static final long SEED = 20161;

    @Param({"784-256-10", "784-1024-1024-10"})
    public String net;

    @Param({"1", "64"})
    public int rows;

    @Param({"100"})
    public int samples;

    /** Threads the engine may use; 0 means one per available processor. */
    @Param({"0"})
    public int threads;

    private Network network;
    private Network dropConnect;
    private MultiLayerNetwork dl4j;
    private MonteCarloPredictor predictor;
    private INDArray raw;
    private INDArray standardized;

    @Setup(Level.Trial)
    public void setUp() {
        System.out.println("# " + BenchNetworks.environment());
        network = BenchNetworks.network(BenchNetworks.spec(net), SEED);
        dropConnect = BenchNetworks.dropConnect(network);
        dl4j = BenchNetworks.dl4j(network, SEED);
        raw = BenchNetworks.rows(rows, network.inputs(), SEED + 1);
        standardized = network.standardize(raw);
        BenchNetworks.checkEquivalent(network, dl4j, raw);
        int engineThreads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        predictor = new MonteCarloPredictor(engineThreads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        predictor.close();
    }

    /** (a) N separate forward passes of B rows with ND4J ops. */
    @Benchmark
    public INDArray[] a_naiveNd4jLoop() {
        return BenchNetworks.naiveLoop(network, standardized, samples, SEED);
    }

    /** (b) DL4J: the same weights in a MultiLayerNetwork, {@code output(x, true)} N times. */
    @Benchmark
    public INDArray[] b_dl4jOutputLoop() {
        return BenchNetworks.dl4jLoop(dl4j, raw, samples);
    }

    /** (c) The engine: one batched Monte Carlo prediction. */
    @Benchmark
    public List<Uncertainty> c_engine() {
        return predictor.predict(network, raw, samples, SEED, false);
    }

    /** (e) The engine on the same weights with DropConnect (p = 0.5 of the weights into each hidden layer). */
    @Benchmark
    public List<Uncertainty> e_dropConnectEngine() {
        return predictor.predict(dropConnect, raw, samples, SEED, false);
    }
}
