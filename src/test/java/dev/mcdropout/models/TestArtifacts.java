package dev.mcdropout.models;

import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.Standardization;
import dev.mcdropout.nn.TrainingHistory;
import dev.mcdropout.nn.artifact.ModelArtifact;
import dev.mcdropout.nn.artifact.ModelArtifacts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/** Artifacts made by the test itself, written with the engine's artifact writer, never by the service. */
public final class TestArtifacts {

    private TestArtifacts() {
    }

    /** A seeded, untrained network: {@code inputs} features, one hidden layer, {@code classes} labels. */
    public static Network network(int inputs, int hidden, List<String> classes, long seed) {
        NetworkSpec spec = NetworkSpec.of(inputs, List.of(hidden), classes.size(), 0.3);
        return Network.initialize(spec, classes, Standardization.identity(inputs), DataType.FLOAT, seed);
    }

    public static byte[] zip(Network network) throws IOException {
        ModelArtifact artifact = new ModelArtifact(network, Map.of("hiddenLayers", List.of(8), "seed", 42),
                new TrainingHistory(List.of(1.2, 0.8), List.of(0.5, 0.7), List.of(1.3, 0.9), List.of(0.45, 0.66)),
                Map.of("validationAccuracy", 0.66, "validationLoss", 0.9), Instant.parse("2026-01-02T03:04:05Z"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelArtifacts.write(artifact, out);
        return out.toByteArray();
    }
}
