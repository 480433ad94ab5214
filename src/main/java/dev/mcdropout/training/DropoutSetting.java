package dev.mcdropout.training;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * The {@code dropout} hyperparameter as a client sends it: one probability for every hidden layer
 * ({@code 0.5}) or one per hidden layer ({@code [0.5, 0.3]}). Anything else (a string, an object, null in the
 * list) is a 400, never a silent default.
 */
@JsonDeserialize(using = DropoutSetting.Reader.class)
public record DropoutSetting(Double all, List<Double> perLayer) {

    /** The probabilities for {@code layers} hidden layers, unchecked (the caller names what is wrong). */
    public List<Double> forLayers(int layers) {
        if (perLayer != null) {
            return perLayer;
        }
        List<Double> list = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            list.add(all);
        }
        return list;
    }

    @JsonValue
    Object json() {
        return perLayer != null ? perLayer : all;
    }

    static final class Reader extends ValueDeserializer<DropoutSetting> {

        @Override
        public DropoutSetting deserialize(JsonParser p, DeserializationContext ctxt) {
            JsonToken token = p.currentToken();
            if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                return new DropoutSetting(p.getDoubleValue(), null);
            }
            if (token == JsonToken.START_ARRAY) {
                List<Double> values = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw MismatchedInputException.from(p, DropoutSetting.class,
                                "dropout list entries must be numbers in [0, 1), got " + t);
                    }
                    values.add(p.getDoubleValue());
                    if (values.size() > 1024) {
                        throw MismatchedInputException.from(p, DropoutSetting.class,
                                "dropout has more entries than any allowed network has hidden layers");
                    }
                }
                return new DropoutSetting(null, List.copyOf(values));
            }
            throw MismatchedInputException.from(p, DropoutSetting.class,
                    "dropout must be a number in [0, 1) or a list of them (one per hidden layer), got " + token);
        }
    }
}
