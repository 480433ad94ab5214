package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The hand-driven answer is, byte for byte, what Jackson's serialization of the records writes. */
class PredictResponseConverterTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static String values(Random random, int n) {
        List<String> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            v.add(switch (random.nextInt(5)) {
                case 0 -> Double.toString(random.nextDouble());
                case 1 -> "-0.0";
                case 2 -> Double.toString(random.nextDouble() * 1e-300);
                case 3 -> Double.toString(Math.scalb(random.nextDouble(), random.nextInt(200) - 100));
                default -> Integer.toString(random.nextInt(3));
            });
        }
        return v.toString();
    }

    /** An answer read from JSON, so that components added to the records later are simply absent (null). */
    private static PredictResponse answer(Random random, boolean scores) {
        StringBuilder predictions = new StringBuilder();
        String[] classes = {"0", "b\\\"quoted\\\"", "ünï\\u2028", "\\\\back", "tab\\t"};
        for (int row = 0; row < 7; row++) {
            predictions.append(row == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"predictedClass\": \"%s\", \"mean\": %s, \"std\": %s, \"predictiveEntropy\": %s, "
                            + "\"mutualInformation\": -0.0, \"variationRatio\": %s%s}",
                    classes[row % classes.length], values(random, 5), values(random, 5), random.nextDouble(),
                    row / 7.0, scores ? ", \"scoresMean\": " + values(random, 5) + ", \"scoresStd\": "
                            + values(random, 5) : ""));
        }
        return JSON.readValue("{\"model\": {\"name\": \"mödel\\\"x\", \"version\": 12}, \"mcSamples\": 100, \"seed\": "
                + (scores ? Long.MIN_VALUE : (1L << 53) - 1) + ", \"classes\": [\"" + String.join("\", \"", classes)
                + "\"], \"predictions\": [" + predictions + "]}", PredictResponse.class);
    }

    @Test
    void answersWithAndWithoutScoresAreTheBytesJacksonWrites() {
        Random random = new Random(5);
        PredictResponseConverter converter = new PredictResponseConverter(JSON);
        assertThat(converter.active()).as("the records and the mapper are covered").isTrue();
        for (boolean scores : new boolean[] {false, true}) {
            PredictResponse response = answer(random, scores);
            assertThat(new String(converter.toBytes(response), StandardCharsets.UTF_8))
                    .isEqualTo(JSON.writeValueAsString(response));
        }
    }

    @Test
    void adaptiveAnswersWithTheirPerRowAndTopLevelFieldsAreTheBytesJacksonWrites() {
        PredictResponseConverter converter = new PredictResponseConverter(JSON);
        assertThat(converter.active()).isTrue();
        PredictResponse response = JSON.readValue("""
                {"model": {"name": "m", "version": 3}, "mcSamples": 800, "seed": 7, "classes": ["a", "b"],
                 "predictions": [{"predictedClass": "a", "mean": [0.75, 0.25], "std": [0.1, 0.1],
                 "predictiveEntropy": 0.56, "mutualInformation": 0.01, "variationRatio": 0.0, "samplesUsed": 50,
                 "standardError": 0.0043},
                 {"predictedClass": "b", "mean": [0.4, 0.6], "std": [0.3, 0.3], "predictiveEntropy": 0.67,
                 "mutualInformation": 0.2, "variationRatio": 0.4, "samplesUsed": 800, "standardError": 0.0106}],
                 "adaptive": {"tolerance": 0.01, "minSamples": 50, "maxSamples": 800}}""", PredictResponse.class);
        String written = new String(converter.toBytes(response), StandardCharsets.UTF_8);
        assertThat(written).isEqualTo(JSON.writeValueAsString(response)).contains("\"samplesUsed\":800")
                .contains("\"adaptive\":{\"tolerance\":0.01,\"minSamples\":50,\"maxSamples\":800}");
    }

    record Inner(String label, List<Integer> counts, int[] bins) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Sparse(Integer maybe, Double boxed, Inner inner) {
    }

    record Wide(String text, int small, long big, double real, double[] reals, List<String> labels, Inner inner,
                List<Sparse> sparse, Integer missing, java.util.Map<String, Double> other) {
    }

    private static String handWritten(Object value) {
        PredictResponseConverter.RecordWriter plan = PredictResponseConverter.RecordWriter.of(value.getClass());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            plan.write(g, value, JSON);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void componentsOfAnyTypeAreWrittenAsJacksonWritesThemSoThatLaterFieldsNeedNoChangeHere() {
        Wide wide = new Wide("t\"x", -3, Long.MAX_VALUE, 1e-7, new double[] {1.5, -0.0}, List.of("a", "b"),
                new Inner(null, List.of(1, 2), new int[] {3}),
                java.util.Arrays.asList(new Sparse(null, 2.5, null), null, new Sparse(7, null, new Inner("i", null, null))),
                null, java.util.Map.of("k", 0.25));
        assertThat(handWritten(wide)).isEqualTo(JSON.writeValueAsString(wide));
    }

    record Renamed(@JsonProperty("other") String name) {
    }

    @Test
    void recordsOrMappersItDoesNotMirrorAreLeftToJackson() {
        assertThat(PredictResponseConverter.RecordWriter.of(Renamed.class)).isNull();
        JsonMapper indenting = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        assertThat(new PredictResponseConverter(indenting).active()).isFalse();
        PredictResponse response = answer(new Random(6), false);
        assertThat(new String(new PredictResponseConverter(indenting).toBytes(response), StandardCharsets.UTF_8))
                .isEqualTo(indenting.writeValueAsString(response));
    }
}
