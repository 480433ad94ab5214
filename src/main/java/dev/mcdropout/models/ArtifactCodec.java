package dev.mcdropout.models;

import dev.mcdropout.nn.artifact.ArtifactLimits;
import dev.mcdropout.nn.artifact.ModelArtifact;
import dev.mcdropout.nn.artifact.ModelArtifacts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The engine's artifact reader and writer, with read limits that follow
 * {@code mcdropout.limits.max-artifact-body}. Reading throws the engine's unchecked
 * {@code InvalidArtifactException} (or its {@code ArtifactLimitExceededException}) with a message meant for
 * the client.
 */
public class ArtifactCodec {

    private static final long MIB = 1024L * 1024L;
    /** The reader holds an archive in one byte array. */
    private static final long MAX_ARCHIVE = Integer.MAX_VALUE - 64;

    private final ArtifactLimits limits;

    public ArtifactCodec(long maxArtifactBytes) {
        ArtifactLimits d = ArtifactLimits.DEFAULTS;
        long archive = Math.min(maxArtifactBytes, MAX_ARCHIVE);
        this.limits = new ArtifactLimits(archive, Math.max(archive, d.maxTotalBytes()),
                Math.min(Math.max(d.maxEntryBytes(), archive), MAX_ARCHIVE), Math.max(d.maxModelJsonBytes(), 8 * MIB),
                d.maxLayers(), d.maxUnits());
    }

    public ArtifactLimits limits() {
        return limits;
    }

    public void write(ModelArtifact artifact, OutputStream out) throws IOException {
        ModelArtifacts.write(artifact, out);
    }

    public ModelArtifact read(InputStream in) throws IOException {
        return ModelArtifacts.read(in, limits);
    }
}
