package dev.mcdropout.nn.metrics;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Uncertainty;
import dev.mcdropout.nn.metrics.EvaluationReport.MeasureReport;
import dev.mcdropout.nn.metrics.EvaluationReport.Measures;
import dev.mcdropout.nn.metrics.EvaluationReport.PassReport;
import dev.mcdropout.nn.RowMatrix;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.Objects;

/**
 * Evaluates a network on labelled rows (and optionally out-of-distribution rows), deterministic pass and Monte
 * Carlo dropout (Gal and Ghahramani 2016) side by side. Each set is predicted in one call of the predictor
 * ({@code samples = 0} for the deterministic pass, {@code mcSamples} with {@code seed} for Monte Carlo), so the
 * figures are exactly those computed from {@code POST /predict} answers for the same rows, seed and sample
 * count. Measures per row: predictive entropy, mutual information, variation ratio, the standard deviation of
 * the predicted class's probability and {@code 1 - max probability}; in the deterministic pass the three that
 * need several passes are 0 for every row (their AUROC is then 0.5).
 */
public final class Evaluator {

    public static final int ECE_BINS = 15;
    public static final double PROBABILITY_FLOOR = 1e-12;
    public static final double FPR_AT_TPR = 0.95;

    private final MonteCarloPredictor predictor;
    private final int curvePoints;

    public Evaluator(MonteCarloPredictor predictor, int curvePoints) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        if (curvePoints < 2) {
            throw new IllegalArgumentException("curvePoints must be >= 2, got " + curvePoints);
        }
        this.curvePoints = curvePoints;
    }

    /**
     * @param labels         class index per row, into {@code network.classes()}
     * @param ood            out-of-distribution rows, or null
     * @param targetAccuracy accuracy the selective thresholds should reach, or null
     */
    public EvaluationReport evaluate(Network network, double[][] rows, int[] labels, double[][] ood, int mcSamples,
                                     long seed, Double targetAccuracy) {
        return evaluate(network, rows, labels, ood, mcSamples, seed, targetAccuracy, () -> false);
    }

    /**
     * As {@link #evaluate(Network, double[][], int[], double[][], int, long, Double)}, stopping early when
     * {@code stop} turns true (a request's deadline passed, or its client left): the predictor asks it between
     * samples and matrix products and throws {@link dev.mcdropout.nn.PredictionStoppedException} once stopped.
     * The figures are those of the same evaluation without a stop signal.
     */
    public EvaluationReport evaluate(Network network, double[][] rows, int[] labels, double[][] ood, int mcSamples,
                                     long seed, Double targetAccuracy, BooleanSupplier stop) {
        return evaluate(network, RowMatrix.of(rows, network.inputs()), labels,
                ood == null || ood.length == 0 ? null : RowMatrix.of(ood, network.inputs()), mcSamples, seed,
                targetAccuracy, stop);
    }

    /** As {@link #evaluate(Network, double[][], int[], double[][], int, long, Double, BooleanSupplier)} for rows in one block each. */
    public EvaluationReport evaluate(Network network, RowMatrix in, int[] labels, RowMatrix out, int mcSamples,
                                     long seed, Double targetAccuracy, BooleanSupplier stop) {
        if (in.rows() == 0 || in.rows() != labels.length) {
            throw new IllegalArgumentException("need at least one row and one label per row");
        }
        if (mcSamples < 1) {
            throw new IllegalArgumentException("mcSamples must be >= 1, got " + mcSamples);
        }
        boolean hasOod = out != null && out.rows() > 0;
        List<Uncertainty> det = predictor.predict(network, in, 0, seed, false, stop);
        List<Uncertainty> detOod = hasOod ? predictor.predict(network, out, 0, seed, false, stop) : null;
        List<Uncertainty> mc = predictor.predict(network, in, mcSamples, seed, false, stop);
        List<Uncertainty> mcOod = hasOod ? predictor.predict(network, out, mcSamples, seed, false, stop) : null;
        return new EvaluationReport(in.rows(), hasOod ? out.rows() : 0, mcSamples, seed, network.classes(),
                targetAccuracy, pass(det, labels, detOod, targetAccuracy), pass(mc, labels, mcOod, targetAccuracy));
    }

    /** The figures of one way of predicting, from its per-row summaries. */
    public PassReport pass(List<Uncertainty> predictions, int[] labels, List<Uncertainty> ood, Double targetAccuracy) {
        int n = predictions.size();
        double[] confidence = new double[n];
        boolean[] correct = new boolean[n];
        double nll = 0;
        double brier = 0;
        int right = 0;
        for (int i = 0; i < n; i++) {
            Uncertainty u = predictions.get(i);
            double[] p = u.mean();
            int y = labels[i];
            confidence[i] = p[u.predictedClass()];
            correct[i] = u.predictedClass() == y;
            right += correct[i] ? 1 : 0;
            nll -= Math.log(Math.max(p[y], PROBABILITY_FLOOR));
            double sq = 0;
            for (int k = 0; k < p.length; k++) {
                double d = p[k] - (k == y ? 1.0 : 0.0);
                sq += d * d;
            }
            brier += sq;
        }
        Calibration.Result ece = Calibration.equalWidth(confidence, correct, ECE_BINS);
        Calibration.Result adaptive = Calibration.equalCount(confidence, correct, ECE_BINS);
        boolean[] wrong = new boolean[n];
        for (int i = 0; i < n; i++) {
            wrong[i] = !correct[i];
        }
        MeasureReport[] measures = new MeasureReport[Measures.NAMES.size()];
        for (int m = 0; m < measures.length; m++) {
            double[] in = measure(predictions, m);
            double[] out = ood == null ? null : measure(ood, m);
            measures[m] = measure(in, wrong, correct, out, targetAccuracy);
        }
        return new PassReport((double) right / n, nll / n, brier / n, ece.ece(), ece.bins(), adaptive.ece(),
                adaptive.bins(), new Measures(measures[0], measures[1], measures[2], measures[3], measures[4]));
    }

    private MeasureReport measure(double[] in, boolean[] wrong, boolean[] correct, double[] out, Double target) {
        Double misclassification = finite(Ranking.auroc(in, wrong));
        Double oodAuroc = null;
        Double oodAupr = null;
        Double fpr95 = null;
        if (out != null) {
            double[] all = new double[in.length + out.length];
            boolean[] isOod = new boolean[all.length];
            System.arraycopy(in, 0, all, 0, in.length);
            System.arraycopy(out, 0, all, in.length, out.length);
            for (int i = in.length; i < all.length; i++) {
                isOod[i] = true;
            }
            oodAuroc = finite(Ranking.auroc(all, isOod));
            oodAupr = finite(Ranking.averagePrecision(all, isOod));
            fpr95 = finite(Ranking.fprAtTpr(all, isOod, FPR_AT_TPR));
        }
        SelectivePrediction.Result selective = SelectivePrediction.of(in, correct, target, curvePoints);
        return new MeasureReport(misclassification, oodAuroc, oodAupr, fpr95, selective.aurc(), selective.eAurc(),
                selective.riskAt80Coverage(), selective.target(), selective.curve());
    }

    /** Measure {@code m} (in {@link Measures#NAMES} order) of every row. */
    static double[] measure(List<Uncertainty> predictions, int m) {
        double[] values = new double[predictions.size()];
        for (int i = 0; i < values.length; i++) {
            Uncertainty u = predictions.get(i);
            values[i] = switch (m) {
                case 0 -> u.predictiveEntropy();
                case 1 -> u.mutualInformation();
                case 2 -> u.variationRatio();
                case 3 -> u.std()[u.predictedClass()];
                case 4 -> 1.0 - u.mean()[u.predictedClass()];
                default -> throw new IllegalArgumentException("no measure " + m);
            };
        }
        return values;
    }

    private static Double finite(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
