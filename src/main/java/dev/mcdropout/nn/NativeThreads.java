package dev.mcdropout.nn;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * ND4J sizes its OpenMP and BLAS thread pools from the host's core count, which in a container is often the
 * node's, not the container's quota. The service sets both explicitly at start-up through this class.
 * BLAS splits a product by its thread count and may then sum in another order, so these numbers change
 * results by rounding only (see the predictor's and trainer's tests, and docs/api.md "Reproducibility").
 */
public final class NativeThreads {

    private NativeThreads() {
    }

    /** Sets ND4J's OpenMP threads (element-wise ops) and BLAS threads (matrix products), both >= 1. */
    public static void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("native threads must be >= 1, got " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        // Environment#setMaxThreads leaves the OpenMP pool as it was (ompGetMaxThreads still reports the
        // host's count); element-wise ops with more OpenMP threads than free cores spin at barriers and
        // ran 10-50x slower in the trainer on a busy 2-core machine.
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    /** The current BLAS thread count. */
    public static int blasThreads() {
        return Nd4j.factory().blas().getMaxThreads();
    }
}
