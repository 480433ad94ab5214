package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.predict.PredictDtos.ModelRef;
import dev.mcdropout.predict.PredictDtos.Prediction;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The hand-written answer is, byte for byte, what Jackson's serialization of the records writes. */
class PredictResponseConverterTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static double[] values(Random random, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (random.nextInt(5)) {
                case 0 -> random.nextDouble();
                case 1 -> -0.0;
                case 2 -> random.nextDouble() * 1e-300;
                case 3 -> Math.scalb(random.nextDouble(), random.nextInt(200) - 100);
                default -> random.nextInt(3);
            };
        }
        return v;
    }

    @Test
    void answersWithAndWithoutScoresAreTheBytesJacksonWrites() {
        Random random = new Random(5);
        PredictResponseConverter converter = new PredictResponseConverter(JSON);
        List<String> classes = List.of("0", "b\"quoted\"", "ünï\u2028", "\\back", "tab\t");
        for (boolean scores : new boolean[] {false, true}) {
            List<Prediction> predictions = new ArrayList<>();
            for (int row = 0; row < 7; row++) {
                predictions.add(new Prediction(classes.get(row % classes.size()), values(random, 5),
                        values(random, 5), random.nextDouble(), -0.0, row / 7.0,
                        scores ? values(random, 5) : null, scores ? values(random, 5) : null));
            }
            PredictResponse response = new PredictResponse(new ModelRef("mödel\"x", 12), 100,
                    scores ? Long.MIN_VALUE : (1L << 53) - 1, classes, predictions);
            assertThat(new String(converter.toBytes(response), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(JSON.writeValueAsBytes(response), java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
