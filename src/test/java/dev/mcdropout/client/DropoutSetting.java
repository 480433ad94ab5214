package dev.mcdropout.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Objects;

/**
 * The generated client's type for {@code Hyperparameters.dropout}, which the OpenAPI document declares as
 * oneOf number | array of numbers. The java generator's own oneOf wrapper for that schema does not compile
 * (it writes {@code List<Double>.class}), so pom.xml maps the schema here ({@code schemaMappings}). On the
 * wire it is exactly what the service reads: a bare number or a list of numbers.
 */
public final class DropoutSetting {

    private final Object value;

    private DropoutSetting(Object value) {
        this.value = Objects.requireNonNull(value);
    }

    /** One probability for every hidden layer. */
    public static DropoutSetting of(double probability) {
        return new DropoutSetting(probability);
    }

    /** One probability per hidden layer. */
    public static DropoutSetting perLayer(List<Double> probabilities) {
        return new DropoutSetting(List.copyOf(probabilities));
    }

    @JsonCreator
    static DropoutSetting fromJson(Object json) {
        if (json instanceof Number n) {
            return of(n.doubleValue());
        }
        if (json instanceof List<?> list) {
            return perLayer(list.stream().map(x -> ((Number) x).doubleValue()).toList());
        }
        throw new IllegalArgumentException("dropout must be a number or a list of numbers, not " + json);
    }

    @JsonValue
    public Object value() {
        return value;
    }

    /** Called by the generated models' query-string support; dropout is never sent in a query. */
    public String toUrlQueryString(String prefix) {
        return prefix + "=" + value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DropoutSetting other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return String.valueOf(value);
    }
}
