package dev.mcdropout.nn.artifact;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.TrainingHistory;

/**
 * A network with what is known of how it was made, as stored in a model zip (see {@link ModelArtifacts}).
 * {@code history} is null for a network trained elsewhere; {@code hyperparameters} and {@code metrics} may be
 * empty (null is taken as empty). Hyperparameters are stored as JSON, so they come back as JSON values:
 * strings, booleans, Integer/Long/Double numbers, lists and maps.
 */
public record ModelArtifact(Network network, Map<String, Object> hyperparameters, TrainingHistory history,
                            Map<String, Double> metrics, Instant createdAt) {

    public ModelArtifact {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(createdAt, "createdAt");
        hyperparameters = hyperparameters == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
