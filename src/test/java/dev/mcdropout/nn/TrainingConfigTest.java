package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

class TrainingConfigTest {

    private static TrainingConfig with(List<Integer> hidden, List<Double> dropout, double inputDropout, int epochs,
                                       int batchSize, double learningRate, double momentum, double l2,
                                       double validationFraction, int patience, DataType type) {
        return new TrainingConfig(hidden, dropout, inputDropout, epochs, batchSize, learningRate, Optimizer.ADAM,
                momentum, l2, validationFraction, patience, 1L, true, type);
    }

    static Stream<Arguments> badConfigs() {
        List<Integer> h = List.of(8);
        List<Double> d = List.of(0.5);
        DataType f = DataType.FLOAT;
        return Stream.of(
                Arguments.of("epochs", (Supplier<TrainingConfig>) () -> with(h, d, 0, 0, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("batchSize", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 0, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("learningRate", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 0, 0.9, 0, 0.2, 5, f)),
                Arguments.of("learningRate", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, Double.NaN, 0.9, 0, 0.2, 5, f)),
                Arguments.of("learningRate", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, Double.POSITIVE_INFINITY, 0.9, 0, 0.2, 5, f)),
                Arguments.of("dropout", (Supplier<TrainingConfig>) () -> with(h, List.of(1.0), 0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("dropout", (Supplier<TrainingConfig>) () -> with(h, List.of(-0.1), 0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("dropout", (Supplier<TrainingConfig>) () -> with(List.of(8, 8), d, 0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("inputDropout", (Supplier<TrainingConfig>) () -> with(h, d, 1.0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("hiddenLayers", (Supplier<TrainingConfig>) () -> with(List.of(0), d, 0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, f)),
                Arguments.of("momentum", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 1e-3, 1.0, 0, 0.2, 5, f)),
                Arguments.of("l2", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 1e-3, 0.9, -1e-4, 0.2, 5, f)),
                Arguments.of("validationFraction", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 1e-3, 0.9, 0, 1.0, 5, f)),
                Arguments.of("earlyStoppingPatience", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 1e-3, 0.9, 0, 0.2, -1, f)),
                Arguments.of("dataType", (Supplier<TrainingConfig>) () -> with(h, d, 0, 10, 32, 1e-3, 0.9, 0, 0.2, 5, DataType.INT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void badValuesAreRejectedWithAMessageNamingTheField(String field, Supplier<TrainingConfig> config) {
        assertThatThrownBy(config::get).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(field);
    }

    @Test
    void defaultsStandardiseAndStopEarly() {
        TrainingConfig defaults = TrainingConfig.defaults();
        assertThat(defaults.standardize()).isTrue();
        assertThat(defaults.validationFraction()).isGreaterThan(0);
        assertThat(defaults.earlyStoppingPatience()).isGreaterThan(0);
        assertThat(defaults.optimizer()).isEqualTo(Optimizer.ADAM);
        assertThat(defaults.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(defaults.dropout()).hasSameSizeAs(defaults.hiddenLayers());
    }

    @Test
    void withersChangeOnlyTheirField() {
        TrainingConfig base = TrainingConfig.defaults();
        assertThat(base.withSeed(9)).isEqualTo(new TrainingConfig(base.hiddenLayers(), base.dropout(),
                base.inputDropout(), base.epochs(), base.batchSize(), base.learningRate(), base.optimizer(),
                base.momentum(), base.l2(), base.validationFraction(), base.earlyStoppingPatience(), 9,
                base.standardize(), base.dataType()));
        assertThat(base.withHiddenLayers(List.of(4, 5), 0.1).dropout()).containsExactly(0.1, 0.1);
    }
}
