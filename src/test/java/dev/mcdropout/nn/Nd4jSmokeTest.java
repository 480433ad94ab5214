package dev.mcdropout.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Nd4jSmokeTest {
    @Test
    void nd4jMultipliesMatrices() {
        var a = Nd4j.create(new double[][]{{1, 2}, {3, 4}});
        var b = a.mmul(a);
        assertEquals(15.0, b.getDouble(1, 0), 1e-12);
        long t = System.nanoTime();
        var x = Nd4j.rand(DataType.FLOAT, 2048, 2048);
        for (int i = 0; i < 5; i++) x.mmul(x);
        double s = (System.nanoTime() - t) / 1e9;
        System.out.println("GFLOPS ~ " + 5 * 2.0 * 2048 * 2048 * 2048 / s / 1e9 + " backend " + Nd4j.getBackend().getClass() + " env threads " + Nd4j.getEnvironment().maxThreads());
    }
}
