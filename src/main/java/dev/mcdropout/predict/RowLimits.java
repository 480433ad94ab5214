package dev.mcdropout.predict;

/**
 * What the parser of {@code instances} may keep for one request: rows of {@code features} numbers (the
 * model's), at most {@code storeLimit} of them (the row limit, or fewer when rows x mcSamples would pass
 * {@code max-row-samples} sooner). Handed to {@link InstancesDeserializer} as a reader attribute.
 */
record RowLimits(int features, int storeLimit) {

    RowLimits {
        if (features < 1 || storeLimit < 1) {
            throw new IllegalArgumentException("features and storeLimit must be >= 1");
        }
    }
}
