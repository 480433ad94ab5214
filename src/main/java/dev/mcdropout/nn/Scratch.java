package dev.mcdropout.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Heap arrays one thread moves a sample's block into, so that the element loops of {@link FusedKernel} run on
 * plain arrays; one per thread and sample range, reused for every sample of the range.
 */
final class Scratch {
    private final int size;
    private float[] floats;
    private double[] doubles;
    private float[] prefixFloats;
    private double[] prefixDoubles;

    Scratch(int size) {
        this.size = size;
    }

    float[] floats() {
        return floats != null ? floats : (floats = new float[size]);
    }

    double[] doubles() {
        return doubles != null ? doubles : (doubles = new double[size]);
    }

    /** The prefix, copied to the heap once per thread and range rather than once per sample. */
    float[] prefixFloats(FloatBuffer prefix, int length) {
        if (prefixFloats == null) {
            prefixFloats = new float[length];
            prefix.get(0, prefixFloats, 0, length);
        }
        return prefixFloats;
    }

    double[] prefixDoubles(DoubleBuffer prefix, int length) {
        if (prefixDoubles == null) {
            prefixDoubles = new double[length];
            prefix.get(0, prefixDoubles, 0, length);
        }
        return prefixDoubles;
    }
}
