package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Both optimisers against updates worked by hand from their papers' formulas. */
class OptimizerTest {

    private static INDArray vector(double... values) {
        return Nd4j.create(values, new long[] {values.length}, DataType.DOUBLE);
    }

    @Test
    void adamsFirstStepMovesEachParameterByTheLearningRateAgainstItsGradientsSign() {
        // t = 1: m^ = g and v^ = g^2 after bias correction, so the step is lr * g / (|g| + eps).
        INDArray params = vector(1.0, -2.0);
        new Adam(0.01).step(List.of(params), List.of(vector(0.1, -0.4)));
        assertThat(params.getDouble(0)).isCloseTo(1.0 - 0.01 * 0.1 / (0.1 + 1e-8), within(1e-15));
        assertThat(params.getDouble(1)).isCloseTo(-2.0 + 0.01 * 0.4 / (0.4 + 1e-8), within(1e-15));
    }

    @Test
    void adamsSecondStepUsesBiasCorrectedMovingAverages() {
        // t = 2 with g1 = (0.1, -0.4), g2 = (0.3, 0): m = (0.039, -0.036), v = (9.999e-5, 1.5984e-4),
        // m^ = m / 0.19, v^ = v / 0.001999; theta -= 0.01 m^ / (sqrt(v^) + 1e-8).
        INDArray params = vector(1.0, -2.0);
        Adam adam = new Adam(0.01);
        adam.step(List.of(params), List.of(vector(0.1, -0.4)));
        adam.step(List.of(params), List.of(vector(0.3, 0.0)));
        double first = 0.01 * (0.039 / 0.19) / (Math.sqrt(9.999e-5 / 0.001999) + 1e-8);
        double second = 0.01 * (-0.036 / 0.19) / (Math.sqrt(1.5984e-4 / 0.001999) + 1e-8);
        assertThat(params.getDouble(0)).isCloseTo(0.990000001 - first, within(1e-12)).isCloseTo(0.98082219, within(1e-8));
        assertThat(params.getDouble(1)).isCloseTo(-1.99000000025 - second, within(1e-12))
                .isCloseTo(-1.98329942, within(1e-8));
    }

    @Test
    void sgdWithMomentumAccumulatesVelocity() {
        // v1 = -0.1 * 0.5 = -0.05, theta = 0.95; v2 = 0.9 * -0.05 - 0.05 = -0.095, theta = 0.855.
        INDArray params = vector(1.0);
        Sgd sgd = new Sgd(0.1, 0.9);
        sgd.step(List.of(params), List.of(vector(0.5)));
        assertThat(params.getDouble(0)).isCloseTo(0.95, within(1e-15));
        sgd.step(List.of(params), List.of(vector(0.5)));
        assertThat(params.getDouble(0)).isCloseTo(0.855, within(1e-15));
    }

    @Test
    void optimisersUpdateOnlyTheParametersTheyAreGiven() {
        INDArray params = vector(1.0, 2.0);
        INDArray gradient = vector(0.5, -0.5);
        INDArray gradientBefore = gradient.dup();
        new Adam(0.1).step(List.of(params), List.of(gradient));
        new Sgd(0.1, 0.5).step(List.of(params), List.of(gradient));
        assertThat(gradient.toDoubleVector()).containsExactly(gradientBefore.toDoubleVector());
    }

    @Test
    void configFactoryPicksTheConfiguredOptimiser() {
        TrainingConfig base = TrainingConfig.defaults();
        TrainingConfig sgd = new TrainingConfig(base.hiddenLayers(), base.dropout(), 0, 1, 1, 0.1, Optimizer.SGD, 0.5, 0,
                0, 0, 1, true, DataType.FLOAT);
        assertThat(ParameterUpdate.of(base)).isInstanceOf(Adam.class);
        assertThat(ParameterUpdate.of(sgd)).isInstanceOf(Sgd.class);
    }

    @Test
    void badOptimiserSettingsAreRejected() {
        assertThatThrownBy(() -> new Adam(0)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new Adam(0.1, 1.0, 0.999, 1e-8)).hasMessageContaining("betas");
        assertThatThrownBy(() -> new Sgd(0.1, 1.0)).hasMessageContaining("momentum");
        assertThatThrownBy(() -> new Adam(0.1).step(List.of(vector(1)), List.of())).hasMessageContaining("gradients");
    }
}
