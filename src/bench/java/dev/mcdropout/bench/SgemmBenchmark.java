package dev.mcdropout.bench;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * (d) The machine's float32 matrix-product rate through ND4J: {@code C = A @ B} into a preallocated C, for
 * a square 1024 product and for the engine's big product on 784-1024-1024-10 with B = 64, N = 100
 * (6400 x 1024 times 1024 x 1024). GFLOP/s = 2 m n k / time. docs/performance.md uses the latter rate as
 * "the time the engine's floating-point work takes".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class SgemmBenchmark {

    /** m x k x n: A is m x k, B is k x n. */
    @Param({"1024x1024x1024", "6400x1024x1024"})
    public String mkn;

    private INDArray a;
    private INDArray b;
    private INDArray c;

    @Setup(Level.Trial)
    public void setUp() {
        System.out.println("# " + BenchNetworks.environment());
        String[] dims = mkn.split("x");
        long m = Long.parseLong(dims[0]);
        long k = Long.parseLong(dims[1]);
        long n = Long.parseLong(dims[2]);
        Nd4j.getRandom().setSeed(7);
        a = Nd4j.rand(DataType.FLOAT, m, k).subi(0.5);
        b = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
        c = Nd4j.create(DataType.FLOAT, new long[] {m, n}, 'c');
    }

    @Benchmark
    public INDArray sgemm() {
        return Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    }
}
