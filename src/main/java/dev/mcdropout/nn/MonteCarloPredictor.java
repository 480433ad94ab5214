package dev.mcdropout.nn;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Batched Monte Carlo dropout prediction. STUB: being written; signatures are the contract. */
public final class MonteCarloPredictor {

    /** Runs chunks on up to {@code threads} threads of its own. */
    public MonteCarloPredictor(int threads) {
    }

    /**
     * Per row of {@code raw} (unstandardised features), the statistics of {@code samples} stochastic passes
     * with masks drawn from {@code seed} and the sample index; {@code samples == 0} is one test-mode pass.
     */
    public List<Uncertainty> predict(Network network, INDArray raw, int samples, long seed, boolean includeScores) {
        throw new UnsupportedOperationException("not yet");
    }
}
