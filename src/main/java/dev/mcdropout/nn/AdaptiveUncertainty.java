package dev.mcdropout.nn;

/**
 * One row's answer of adaptive Monte Carlo sampling: the {@link Uncertainty} summary of its
 * {@code samplesUsed} passes (the passes {@code 0 .. samplesUsed - 1}, the same a fixed run of that many
 * samples draws) and the largest standard error of a class's mean probability at the end,
 * {@code max_c std_c / sqrt(samplesUsed - 1)}: below the tolerance unless the row stopped at
 * {@code maxSamples}.
 */
public record AdaptiveUncertainty(Uncertainty summary, int samplesUsed, double standardError) {

    public AdaptiveUncertainty copy() {
        return new AdaptiveUncertainty(summary.copy(), samplesUsed, standardError);
    }
}
