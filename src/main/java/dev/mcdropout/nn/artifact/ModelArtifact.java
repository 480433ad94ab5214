package dev.mcdropout.nn.artifact;

import java.time.Instant;
import java.util.Map;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.TrainingHistory;

/**
 * A network with what is known of how it was made, as stored in a model zip. {@code history} is null for a
 * network trained elsewhere; {@code hyperparameters} and {@code metrics} may be empty.
 * STUB: reader and writer are being written.
 */
public record ModelArtifact(Network network, Map<String, Object> hyperparameters, TrainingHistory history,
                            Map<String, Double> metrics, Instant createdAt) {
}
