package dev.mcdropout.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Risk-coverage, AURC, E-AURC and target thresholds against hand-worked numbers. */
class SelectivePredictionTest {

    @Test
    void riskCoverageOfAnOrderedSet() {
        // kept in order 0.1 ok, 0.2 ok, 0.3 wrong, 0.4 ok: risk 0, 0, 1/3, 1/4
        SelectivePrediction.Result r = SelectivePrediction.of(new double[] {0.3, 0.1, 0.4, 0.2},
                new boolean[] {false, true, true, true}, 0.99, 100);

        assertThat(r.aurc()).isCloseTo((1.0 / 3 + 0.25) / 4, within(1e-12));
        // the oracle puts the wrong row last: only k = 4 has risk 1/4
        assertThat(r.eAurc()).isCloseTo((1.0 / 3 + 0.25) / 4 - 0.25 / 4, within(1e-12));
        assertThat(r.riskAt80Coverage()).isEqualTo(0.25); // ceil(0.8 * 4) = 4 rows
        assertThat(r.curve()).extracting(SelectivePrediction.RiskCoveragePoint::coverage).containsExactly(0.25, 0.5, 0.75, 1.0);
        assertThat(r.curve().get(2).risk()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(r.curve().get(2).threshold()).isEqualTo(0.3);
        assertThat(r.target()).isEqualTo(new SelectivePrediction.TargetThreshold(0.99, 0.2, 0.5, 1.0));
    }

    @Test
    void tiedUncertaintiesCountTheirErrorsAtTheExpectedValue() {
        // 0.1 ok, then a tie at 0.5 of one wrong and one right: k=2 keeps half an error on average
        SelectivePrediction.Result r = SelectivePrediction.of(new double[] {0.1, 0.5, 0.5},
                new boolean[] {true, false, true}, null, 100);

        assertThat(r.aurc()).isCloseTo((0 + 0.25 + 1.0 / 3) / 3, within(1e-12));
        assertThat(r.curve()).containsExactly(new SelectivePrediction.RiskCoveragePoint(1.0 / 3, 0.0, 0.1),
                new SelectivePrediction.RiskCoveragePoint(1.0, 1.0 / 3, 0.5));
        assertThat(r.target()).isNull();
    }

    @Test
    void perfectModelHasZeroRiskEverywhere() {
        SelectivePrediction.Result r = SelectivePrediction.of(new double[] {0.3, 0.2, 0.1},
                new boolean[] {true, true, true}, 0.99, 100);
        assertThat(r.aurc()).isZero();
        assertThat(r.eAurc()).isZero();
        assertThat(r.target()).isEqualTo(new SelectivePrediction.TargetThreshold(0.99, 0.3, 1.0, 1.0));
    }

    @Test
    void maximallyWrongModelReachesNoTarget() {
        SelectivePrediction.Result r = SelectivePrediction.of(new double[] {0.3, 0.2, 0.1},
                new boolean[] {false, false, false}, 0.5, 100);
        assertThat(r.aurc()).isEqualTo(1.0);
        assertThat(r.eAurc()).isZero();
        assertThat(r.riskAt80Coverage()).isEqualTo(1.0);
        assertThat(r.target()).isEqualTo(new SelectivePrediction.TargetThreshold(0.5, null, 0.0, null));
    }

    @Test
    void curveIsThinnedEvenlyAndKeepsFullCoverage() {
        double[] u = new double[1000];
        boolean[] ok = new boolean[1000];
        for (int i = 0; i < u.length; i++) {
            u[i] = i;
            ok[i] = i % 7 != 0;
        }
        List<SelectivePrediction.RiskCoveragePoint> curve = SelectivePrediction.of(u, ok, null, 100).curve();
        assertThat(curve).hasSize(100);
        assertThat(curve.get(curve.size() - 1).coverage()).isEqualTo(1.0);
        assertThat(curve.get(0).coverage()).isEqualTo(0.01);
    }
}
