package dev.mcdropout.nn.artifact;

/**
 * Bounds applied while reading a model archive, before anything is built from it. All byte counts are
 * counted on the bytes actually read or inflated, never taken from zip headers (which an attacker writes).
 *
 * @param maxArchiveBytes   size of the zip file itself
 * @param maxTotalBytes     sum of the uncompressed sizes of all entries (guards against zip bombs)
 * @param maxEntryBytes     uncompressed size of any single entry
 * @param maxModelJsonBytes uncompressed size of {@code model.json}
 * @param maxLayers         number of dense layers (hidden layers plus the output layer)
 * @param maxUnits          inputs or outputs of any layer, and hence classes and standardisation length
 */
public record ArtifactLimits(long maxArchiveBytes, long maxTotalBytes, long maxEntryBytes, long maxModelJsonBytes,
                             int maxLayers, int maxUnits) {

    private static final long MIB = 1024L * 1024L;

    /** 256 MiB archive and in total, 128 MiB per entry, 8 MiB of JSON, 64 layers, 2^20 units per layer. */
    public static final ArtifactLimits DEFAULTS =
            new ArtifactLimits(256 * MIB, 256 * MIB, 128 * MIB, 8 * MIB, 64, 1 << 20);

    public ArtifactLimits {
        positive("maxArchiveBytes", maxArchiveBytes);
        positive("maxTotalBytes", maxTotalBytes);
        positive("maxEntryBytes", maxEntryBytes);
        positive("maxModelJsonBytes", maxModelJsonBytes);
        positive("maxLayers", maxLayers);
        positive("maxUnits", maxUnits);
        // Entry contents are held in byte arrays.
        if (maxEntryBytes > Integer.MAX_VALUE - 64 || maxModelJsonBytes > Integer.MAX_VALUE - 64
                || maxArchiveBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("per-entry and archive limits must stay below 2 GiB");
        }
    }

    public static ArtifactLimits defaults() {
        return DEFAULTS;
    }

    /** model.json plus per layer a weights and a bias file and, with batch norm, four more arrays. */
    public int maxEntries() {
        return 6 * maxLayers + 1;
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
