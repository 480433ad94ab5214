package dev.mcdropout.nn.metrics;

import java.util.List;

/**
 * How well a model's probabilities and uncertainties hold up on a labelled data set, for the deterministic pass
 * (dropout off) and for Monte Carlo dropout side by side (see {@link Evaluator}). Figures that are undefined on
 * the data (an AUROC when every row is right, OOD figures without an OOD set) are null.
 *
 * @param rows       labelled rows evaluated
 * @param oodRows    out-of-distribution rows (0 without an OOD set)
 * @param mcSamples  stochastic passes of the Monte Carlo part
 * @param seed       seed of its dropout masks
 * @param classes    the model's class labels, in output order
 */
public record EvaluationReport(int rows, int oodRows, int mcSamples, long seed, List<String> classes,
                               Double targetAccuracy, PassReport deterministic, PassReport monteCarlo) {

    /**
     * One way of predicting. {@code nll} is the mean of {@code -log p(y)} (probabilities clipped at 1e-12),
     * {@code brier} the mean of {@code sum_k (p_k - [y = k])^2}, {@code ece} over 15 equal-width bins of the top
     * probability (table in {@code eceBins}), {@code adaptiveEce} over 15 equal-count bins.
     */
    public record PassReport(double accuracy, double nll, double brier, double ece, List<Calibration.CalibrationBin> eceBins,
                             double adaptiveEce, List<Calibration.CalibrationBin> adaptiveEceBins, Measures measures) {
    }

    /** The same figures for each uncertainty measure of a row. */
    public record Measures(MeasureReport predictiveEntropy, MeasureReport mutualInformation,
                           MeasureReport variationRatio, MeasureReport predictedClassStd,
                           MeasureReport oneMinusMaxProbability) {

        public static final List<String> NAMES = List.of("predictiveEntropy", "mutualInformation", "variationRatio",
                "predictedClassStd", "oneMinusMaxProbability");

        public List<MeasureReport> all() {
            return List.of(predictiveEntropy, mutualInformation, variationRatio, predictedClassStd,
                    oneMinusMaxProbability);
        }
    }

    /**
     * How well one measure ranks rows: wrong predictions above right ones ({@code misclassificationAuroc}),
     * OOD rows above in-distribution ones ({@code oodAuroc}, {@code oodAupr} with OOD as the positive class,
     * {@code fpr95}), and what setting the most uncertain rows aside buys (the risk-coverage curve, {@code aurc},
     * {@code eAurc}, {@code riskAt80Coverage}, and the threshold that reaches {@code targetAccuracy}).
     */
    public record MeasureReport(Double misclassificationAuroc, Double oodAuroc, Double oodAupr, Double fpr95,
                                double aurc, double eAurc, double riskAt80Coverage,
                                SelectivePrediction.TargetThreshold target, List<SelectivePrediction.RiskCoveragePoint> riskCoverage) {
    }
}
