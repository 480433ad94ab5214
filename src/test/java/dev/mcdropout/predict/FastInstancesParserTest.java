package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The byte-level parser of {@code instances} gives every number the very double the Jackson path gives it,
 * and leaves every body it does not fully understand to that path.
 */
class FastInstancesParserTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static ParsedInstances jackson(String body, RowLimits limits) {
        return JSON.readerFor(PredictBody.class).withAttribute(RowLimits.class, limits)
                .<PredictBody>readValue(body.getBytes(StandardCharsets.UTF_8)).instances();
    }

    private static ParsedInstances fast(String body, RowLimits limits) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return FastInstancesParser.parse(bytes, bytes.length, limits);
    }

    /** Number texts of every shape JSON allows: integers, fractions, exponents, long and short, signed. */
    private static String numberText(Random random) {
        return switch (random.nextInt(9)) {
            case 0 -> Double.toString(random.nextDouble());
            case 1 -> Double.toString(-random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 2 -> Long.toString((random.nextLong() % 1_000_000_000_000_000_000L) >> random.nextInt(60)); // up to 18 digits
            case 3 -> Integer.toString(random.nextInt(17));
            case 4 -> String.format("%.3f", random.nextGaussian() * 100);
            case 5 -> (random.nextBoolean() ? "-" : "") + random.nextInt(1000) + "." + random.nextInt(1000)
                    + (random.nextBoolean() ? "e" : "E") + (random.nextBoolean() ? "-" : "+") + random.nextInt(330);
            case 6 -> Double.toString(Double.longBitsToDouble(random.nextLong() & 0x7FEFFFFFFFFFFFFFL));
            case 7 -> "0.000" + Math.abs(random.nextLong());
            default -> random.nextBoolean() ? "-0" : (random.nextBoolean() ? "-0.0" : "0e5");
        };
    }

    @Test
    void everyNumberGetsTheSameDoubleAsTheJacksonPathBitForBit() {
        Random random = new Random(12);
        int features = 50;
        RowLimits limits = new RowLimits(features, 100);
        int compared = 0;
        for (int body = 0; body < 400; body++) {
            int rows = 1 + random.nextInt(4);
            StringBuilder json = new StringBuilder(" {\n\"instances\" :[");
            for (int r = 0; r < rows; r++) {
                json.append(r == 0 ? "" : ", ").append('[');
                for (int j = 0; j < features; j++) {
                    json.append(j == 0 ? "" : (random.nextBoolean() ? "," : " ,\t")).append(numberText(random));
                }
                json.append("]\r\n");
            }
            json.append("] } ");
            ParsedInstances expected = jackson(json.toString(), limits);
            ParsedInstances actual = fast(json.toString(), limits);
            if (!expected.problems().isEmpty()) {
                assertThat(actual).as("a body with a problem is left to Jackson").isNull();
                continue;
            }
            assertThat(actual).as(json.toString()).isNotNull();
            assertThat(actual.rows()).isEqualTo(rows);
            double[] want = expected.matrix().values();
            double[] got = actual.matrix().values();
            for (int i = 0; i < rows * features; i++) {
                assertThat(Double.doubleToRawLongBits(got[i])).as("value %d of %s", i, json)
                        .isEqualTo(Double.doubleToRawLongBits(want[i]));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(10_000);
    }

    @Test
    void bodiesItDoesNotFullyUnderstandAreLeftToTheJacksonPath() {
        RowLimits limits = new RowLimits(2, 3);
        List<String> others = new ArrayList<>(List.of(
                "{\"instances\": [[1, 2, 3]]}",                 // too wide
                "{\"instances\": [[1]]}",                       // too narrow
                "{\"instances\": [[1, 2], [1, 2], [1, 2], [1, 2]]}", // past the store limit
                "{\"instances\": []}",
                "{\"instances\": [[1, \"2\"]]}",
                "{\"instances\": [[1, null]]}",
                "{\"instances\": [null]}",
                "{\"instances\": [[1, NaN]]}",
                "{\"instances\": [[1, 1e400]]}",
                "{\"instances\": [[01, 2]]}",
                "{\"instances\": [[1., 2]]}",
                "{\"instances\": [[.5, 2]]}",
                "{\"instances\": [[+1, 2]]}",
                "{\"instances\": [[1, 2]], \"other\": 1}",
                "{\"other\": 1, \"instances\": [[1, 2]]}",
                "{\"instances\": [[1, 2]]} {}",
                "{\"instances\": [[1, 2],]}",
                "{\"instances\": [[1, 2]]",
                "{\"\\u0069nstances\": [[1, 2]]}",
                "\uFEFF{\"instances\": [[1, 2]]}",
                "{\"instances\": [[12345678901234567890, 2]]}",
                "[[1, 2]]",
                ""));
        for (String body : others) {
            assertThat(fast(body, limits)).as(body).isNull();
        }
        assertThat(fast("{\"instances\":[[1,2],[3,4],[5,6]]}", limits)).isNotNull();
    }
}
