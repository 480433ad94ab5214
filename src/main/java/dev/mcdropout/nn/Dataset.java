package dev.mcdropout.nn;

import java.util.List;

/** Feature rows with a class index per row; {@code classes.get(labels[i])} is row i's label. */
public record Dataset(double[][] features, int[] labels, List<String> classes) {
}
