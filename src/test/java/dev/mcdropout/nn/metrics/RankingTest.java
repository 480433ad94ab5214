package dev.mcdropout.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** AUROC, average precision and FPR at 95% TPR against hand-worked cases, ties included. */
class RankingTest {

    private static final boolean T = true;
    private static final boolean F = false;

    @Test
    void aurocCountsCorrectlyOrderedPairs() {
        // pairs (pos, neg): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes, (0.8, 0.4) yes -> 3/4
        assertThat(Ranking.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {F, F, T, T})).isEqualTo(0.75);
    }

    @Test
    void aurocCountsTiesAsOneHalf() {
        // positives 1, 2; negatives 2, 0: (1,2) 0, (1,0) 1, (2,2) 1/2, (2,0) 1 -> 2.5 / 4
        assertThat(Ranking.auroc(new double[] {1, 2, 2, 0}, new boolean[] {T, T, F, F})).isEqualTo(0.625);
        // a constant score cannot tell anything apart
        assertThat(Ranking.auroc(new double[] {0.5, 0.5, 0.5, 0.5}, new boolean[] {T, F, T, F})).isEqualTo(0.5);
    }

    @Test
    void aurocIsOneForAPerfectRankingAndZeroForAReversedOne() {
        assertThat(Ranking.auroc(new double[] {0.9, 0.8, 0.1, 0.2}, new boolean[] {T, T, F, F})).isEqualTo(1.0);
        assertThat(Ranking.auroc(new double[] {0.1, 0.2, 0.9, 0.8}, new boolean[] {T, T, F, F})).isEqualTo(0.0);
    }

    @Test
    void aurocIsUndefinedWithoutBothClasses() {
        assertThat(Ranking.auroc(new double[] {0.1, 0.2}, new boolean[] {F, F})).isNaN();
        assertThat(Ranking.averagePrecision(new double[] {0.1, 0.2}, new boolean[] {T, T})).isNaN();
        assertThat(Ranking.fprAtTpr(new double[] {0.1, 0.2}, new boolean[] {T, T}, 0.95)).isNaN();
    }

    @Test
    void averagePrecisionIsTheStepSumOverThresholds() {
        // 0.8 pos: R .5 P 1; 0.4 neg: R .5; 0.35 pos: R 1 P 2/3 -> .5 + .5 * 2/3
        assertThat(Ranking.averagePrecision(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {F, F, T, T}))
                .isCloseTo(0.5 + 1.0 / 3, within(1e-12));
        // all tied: one threshold flags everything, precision = the positive share
        assertThat(Ranking.averagePrecision(new double[] {1, 1, 1, 1}, new boolean[] {T, F, F, F})).isEqualTo(0.25);
    }

    @Test
    void fprAt95IsTakenAtTheFirstThresholdReachingTheTarget() {
        // 20 positives scored 1..20, 10 negatives at 0.5 except one at 10.5: 19 positives (95%) are above
        // threshold 2, and so is one negative -> FPR 0.1
        double[] score = new double[30];
        boolean[] pos = new boolean[30];
        for (int i = 0; i < 20; i++) {
            score[i] = i + 1;
            pos[i] = true;
        }
        for (int i = 20; i < 30; i++) {
            score[i] = 0.5;
        }
        score[29] = 10.5;
        assertThat(Ranking.fprAtTpr(score, pos, 0.95)).isEqualTo(0.1);
        // a tie spanning both classes at the threshold takes all of them
        assertThat(Ranking.fprAtTpr(new double[] {1, 1, 1, 0}, new boolean[] {T, F, F, F}, 0.95))
                .isCloseTo(2.0 / 3, within(1e-12));
    }
}
