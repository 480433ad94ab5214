package dev.mcdropout.system;

import dev.mcdropout.nn.NativeThreads;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * ND4J sizes its OpenMP and BLAS pools from the host's cores. The Monte Carlo predictor already runs
 * sample chunks on its own bounded pool, so letting every op fan out too would oversubscribe the CPU (and
 * starve concurrent requests). This bean, created before anything that touches ND4J, caps both at
 * {@code mcdropout.nd4j.threads}. The OpenMP runtime also reads {@code OMP_NUM_THREADS} when the native
 * library loads; set that environment variable to the same value in containers for a hard cap.
 */
@Component("nd4jThreads")
public class Nd4jThreads {

    private static final Logger log = LoggerFactory.getLogger(Nd4jThreads.class);

    private final int threads;

    public Nd4jThreads(McDropoutProperties properties) {
        this.threads = properties.nd4j().threads();
        NativeThreads.set(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        log.info("ND4J limited to {} thread(s) per op (mcdropout.nd4j.threads)", threads);
    }

    public int threads() {
        return threads;
    }
}
