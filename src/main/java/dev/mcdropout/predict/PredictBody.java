package dev.mcdropout.predict;

import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST /predict} as it is read: {@code instances} as one flat block. The documented shape
 * ({@code double[][]}) is {@link PredictDtos.PredictRequest}; fields other than {@code instances} are skipped
 * by the parser without being built.
 */
record PredictBody(@JsonDeserialize(using = InstancesDeserializer.class) ParsedInstances instances) {
}
