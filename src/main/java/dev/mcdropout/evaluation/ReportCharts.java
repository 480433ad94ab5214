package dev.mcdropout.evaluation;

import dev.mcdropout.nn.metrics.Calibration;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.nn.metrics.EvaluationReport.MeasureReport;
import dev.mcdropout.nn.metrics.SelectivePrediction;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;

/** The plots of an evaluation report: a reliability diagram and risk-coverage curves. */
final class ReportCharts {

    private ReportCharts() {
    }

    /**
     * Accuracy against mean confidence per non-empty equal-width bin, deterministic and Monte Carlo, with the
     * diagonal a perfectly calibrated model would follow. Points under the diagonal are over-confident bins.
     */
    static XYChart reliability(EvaluationReport report, Charts.Format format, String subject) {
        List<Charts.Line> lines = new ArrayList<>();
        lines.add(new Charts.Line("perfect calibration", new double[] {0, 1}, new double[] {0, 1}, true));
        lines.add(bins("deterministic (ECE " + Charts.fmt(report.deterministic().ece()) + ")",
                report.deterministic().eceBins()));
        lines.add(bins("Monte Carlo, " + report.mcSamples() + " passes (ECE " + Charts.fmt(report.monteCarlo().ece())
                + ")", report.monteCarlo().eceBins()));
        XYChart chart = Charts.chart(format, "Reliability diagram: " + subject + ", " + report.rows() + " rows, 15 bins",
                "Confidence: mean top-class probability in bin (0-1)", "Accuracy in bin (share of rows right, 0-1)",
                lines);
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        return chart;
    }

    /** Error rate of the kept rows against the share kept, per Monte Carlo uncertainty measure and deterministic. */
    static XYChart riskCoverage(EvaluationReport report, Charts.Format format, String subject) {
        List<Charts.Line> lines = new ArrayList<>();
        EvaluationReport.Measures mc = report.monteCarlo().measures();
        List<String> names = EvaluationReport.Measures.NAMES;
        List<MeasureReport> all = mc.all();
        for (int m = 0; m < all.size(); m++) {
            lines.add(curve("MC " + names.get(m) + " (AURC " + Charts.fmt(all.get(m).aurc()) + ")", all.get(m)));
        }
        MeasureReport det = report.deterministic().measures().oneMinusMaxProbability();
        lines.add(curve("deterministic 1 - max p (AURC " + Charts.fmt(det.aurc()) + ")", det));
        XYChart chart = Charts.chart(format, "Risk-coverage: " + subject + ", " + report.rows() + " rows",
                "Coverage: rows kept, most certain first (%)", "Risk: error rate of kept rows (%)", lines);
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(100.0).setYAxisMin(0.0);
        return chart;
    }

    private static Charts.Line bins(String name, List<Calibration.CalibrationBin> bins) {
        List<Calibration.CalibrationBin> filled = bins.stream().filter(b -> b.count() > 0).toList();
        double[] x = new double[filled.size()];
        double[] y = new double[filled.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = filled.get(i).confidence();
            y[i] = filled.get(i).accuracy();
        }
        return new Charts.Line(name, x, y, false);
    }

    private static Charts.Line curve(String name, MeasureReport measure) {
        List<SelectivePrediction.RiskCoveragePoint> points = measure.riskCoverage();
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = 100 * points.get(i).coverage();
            y[i] = 100 * points.get(i).risk();
        }
        return new Charts.Line(name, x, y, false);
    }
}
