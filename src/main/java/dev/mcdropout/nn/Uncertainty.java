package dev.mcdropout.nn;

/**
 * Monte Carlo dropout summary for one row (Gal and Ghahramani 2016): over N stochastic passes, the mean and
 * population standard deviation (ddof = 0) of the softmax probabilities per class, the predicted class
 * (argmax of the mean), predictive entropy {@code H[mean]}, mutual information
 * {@code H[mean] - mean_t H[p_t]} (the epistemic part, Houlsby et al. 2011) and the variation ratio
 * {@code 1 - (votes for the modal class) / N}. Natural logarithms. {@code scoresMean}/{@code scoresStd}
 * are the same statistics of the raw class scores, or null when not asked for.
 */
public record Uncertainty(int predictedClass, double[] mean, double[] std, double predictiveEntropy,
                          double mutualInformation, double variationRatio, double[] scoresMean,
                          double[] scoresStd) {

    /** A copy with arrays of its own. */
    public Uncertainty copy() {
        return new Uncertainty(predictedClass, mean.clone(), std.clone(), predictiveEntropy, mutualInformation,
                variationRatio, scoresMean == null ? null : scoresMean.clone(),
                scoresStd == null ? null : scoresStd.clone());
    }
}
