package dev.mcdropout.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** ECE and adaptive ECE against numbers worked out by hand. */
class CalibrationTest {

    @Test
    void perfectlyCalibratedModelHasZeroEce() {
        // 5 rows at 0.8 with 4 right, 5 rows at 0.6 with 3 right: each bin's accuracy equals its confidence
        double[] conf = {0.8, 0.8, 0.8, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6};
        boolean[] ok = {true, true, true, true, false, true, true, true, false, false};

        Calibration.Result r = Calibration.equalWidth(conf, ok, 15);

        assertThat(r.ece()).isCloseTo(0.0, within(1e-12));
        assertThat(r.bins()).hasSize(15);
        assertThat(r.bins().stream().mapToInt(Calibration.CalibrationBin::count).sum()).isEqualTo(10);
    }

    @Test
    void maximallyWrongModelHasEceOne() {
        double[] conf = {1.0, 1.0, 1.0};
        boolean[] ok = {false, false, false};

        Calibration.Result r = Calibration.equalWidth(conf, ok, 15);

        assertThat(r.ece()).isEqualTo(1.0);
        Calibration.CalibrationBin last = r.bins().get(14);
        assertThat(last.count()).isEqualTo(3);
        assertThat(last.accuracy()).isEqualTo(0.0);
        assertThat(last.confidence()).isEqualTo(1.0);
        assertThat(last.upper()).isEqualTo(1.0);
        assertThat(Calibration.equalCount(conf, ok, 15).ece()).isEqualTo(1.0);
    }

    @Test
    void emptyBinsContributeNothingAndReportNoAccuracy() {
        // 0.95 lands in bin 14 (14/15, 1], 0.55 in bin 8 (8/15, 9/15]; ECE = 0.5 * 0.05 + 0.5 * 0.55 = 0.3
        Calibration.Result r = Calibration.equalWidth(new double[] {0.95, 0.55}, new boolean[] {true, false}, 15);

        assertThat(r.ece()).isCloseTo(0.3, within(1e-12));
        assertThat(r.bins().get(14).count()).isEqualTo(1);
        assertThat(r.bins().get(8).count()).isEqualTo(1);
        assertThat(r.bins().get(8).lower()).isCloseTo(8.0 / 15, within(1e-15));
        assertThat(r.bins()).filteredOn(b -> b.count() == 0).hasSize(13)
                .allSatisfy(b -> {
                    assertThat(b.accuracy()).isNull();
                    assertThat(b.confidence()).isNull();
                });
    }

    @Test
    void binsAreOpenBelowAndClosedAbove() {
        // 0.5 is exactly 7.5/15, inside (7/15, 8/15]; 1/15 is the upper edge of the first bin
        Calibration.Result r = Calibration.equalWidth(new double[] {0.5, 1.0 / 15}, new boolean[] {true, true}, 15);
        assertThat(r.bins().get(7).count()).isEqualTo(1);
        assertThat(r.bins().get(0).count()).isEqualTo(1);
    }

    @Test
    void adaptiveEceSplitsSortedRowsIntoEqualCounts() {
        // sorted: 0.6 wrong, 0.7 wrong | 0.8 right, 0.9 right -> 0.5 * 0.65 + 0.5 * 0.15 = 0.4
        Calibration.Result r = Calibration.equalCount(new double[] {0.9, 0.8, 0.7, 0.6},
                new boolean[] {true, true, false, false}, 2);

        assertThat(r.ece()).isCloseTo(0.4, within(1e-12));
        assertThat(r.bins()).hasSize(2);
        assertThat(r.bins().get(0).lower()).isEqualTo(0.6);
        assertThat(r.bins().get(0).upper()).isEqualTo(0.7);
        assertThat(r.bins().get(1).accuracy()).isEqualTo(1.0);
    }

    @Test
    void adaptiveEceWithFewerRowsThanBinsUsesOneBinPerRow() {
        Calibration.Result r = Calibration.equalCount(new double[] {0.9, 0.7}, new boolean[] {true, false}, 15);
        assertThat(r.bins()).hasSize(2);
        assertThat(r.ece()).isCloseTo(0.5 * 0.1 + 0.5 * 0.7, within(1e-12));
    }
}
