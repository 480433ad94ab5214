package dev.mcdropout.models;

import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.artifact.ModelArtifact;

/** One version of a model, loaded and validated; immutable, so it is shared by all readers without locks. */
public record LoadedModel(String name, int version, ModelArtifact artifact, String sha256, long sizeBytes) {

    public Network network() {
        return artifact.network();
    }
}
