package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Feature rows with a class index per row; {@code classes.get(labels[i])} is row i's label.
 *
 * <p>Checked on construction: every row has the same number of features (at least one), every value is
 * finite, there are at least two distinct, non-null class names, and every label indexes one of them. A
 * data set may have no rows (the held-out part of a split of a tiny data set can be empty), and a class may
 * have no rows in it (a split keeps the full class list so both parts agree on the class order). Arrays are
 * copied in and out, so a {@code Dataset} never changes.
 */
public record Dataset(double[][] features, int[] labels, List<String> classes) {

    public Dataset {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(classes, "classes");
        if (features.length != labels.length) {
            throw new IllegalArgumentException("the data set has " + features.length + " feature rows but "
                    + labels.length + " labels; give one label per row");
        }
        checkClasses(classes);
        classes = List.copyOf(classes);
        double[][] rows = new double[features.length][];
        int width = features.length == 0 ? 0 : lengthOf(features, 0);
        if (features.length > 0 && width == 0) {
            throw new IllegalArgumentException("rows need at least one feature, row 0 has none");
        }
        for (int i = 0; i < features.length; i++) {
            int length = lengthOf(features, i);
            if (length != width) {
                throw new IllegalArgumentException("all rows need the same number of features: row 0 has " + width
                        + ", row " + i + " has " + length);
            }
            double[] row = features[i].clone();
            for (int j = 0; j < row.length; j++) {
                if (!Double.isFinite(row[j])) {
                    throw new IllegalArgumentException("row " + i + ", feature " + j + " is " + row[j]
                            + "; every feature value must be a finite number");
                }
            }
            rows[i] = row;
        }
        features = rows;
        labels = labels.clone();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes.size()) {
                throw new IllegalArgumentException("row " + i + " has label index " + labels[i] + ", expected 0 to "
                        + (classes.size() - 1) + " (one per class)");
            }
        }
    }

    /**
     * A data set from rows and string labels. The class order is the sorted order of the distinct labels
     * (natural {@link String} order, so "10" sorts before "9"); it is the order of the network's outputs.
     */
    public static Dataset of(double[][] features, List<String> labels) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        if (features.length != labels.size()) {
            throw new IllegalArgumentException("the data set has " + features.length + " feature rows but "
                    + labels.size() + " labels; give one label per row");
        }
        TreeSet<String> distinct = new TreeSet<>();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (label == null) {
                throw new IllegalArgumentException("row " + i + " has no label");
            }
            distinct.add(label);
        }
        if (distinct.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 distinct labels, the data set has "
                    + distinct.size());
        }
        List<String> classes = List.copyOf(distinct);
        Map<String, Integer> index = new HashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            index.put(classes.get(c), c);
        }
        int[] ids = new int[labels.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = index.get(labels.get(i));
        }
        return new Dataset(features, ids, classes);
    }

    /** The two parts of a {@link #stratifiedSplit split}; both keep the full class list. */
    public record Split(Dataset train, Dataset heldOut) {
    }

    /**
     * Splits the rows so that about {@code fraction} of each class goes to {@link Split#heldOut()}, chosen
     * at random from {@code seed} alone. Per class, {@code floor(fraction * n_c)} rows are held out and the
     * rows still needed to reach {@code round(fraction * n)} in total go to the classes with the largest
     * remainders (ties to the lower class index), so the overall fraction is as close as the classes allow.
     * Every class keeps at least one row in {@link Split#train()}; with tiny classes the held-out part can
     * therefore be smaller than asked, or empty. Both parts list their rows in original order.
     */
    public Split stratifiedSplit(double fraction, long seed) {
        if (!(fraction > 0.0 && fraction < 1.0)) {
            throw new IllegalArgumentException("the held-out fraction must be between 0 and 1 (exclusive), got "
                    + fraction);
        }
        int classCount = classes.size();
        List<List<Integer>> byClass = new ArrayList<>(classCount);
        for (int c = 0; c < classCount; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
            byClass.get(labels[i]).add(i);
        }
        int[] take = new int[classCount];
        double[] remainder = new double[classCount];
        int taken = 0;
        for (int c = 0; c < classCount; c++) {
            int n = byClass.get(c).size();
            double exact = fraction * n;
            take[c] = Math.min((int) Math.floor(exact), Math.max(0, n - 1));
            remainder[c] = exact - Math.floor(exact);
            taken += take[c];
        }
        int wanted = (int) Math.round(fraction * labels.length);
        while (taken < wanted) {
            int best = -1;
            for (int c = 0; c < classCount; c++) {
                boolean room = take[c] < byClass.get(c).size() - 1;
                if (room && (best < 0 || remainder[c] > remainder[best])) {
                    best = c;
                }
            }
            if (best < 0) {
                break;
            }
            take[best]++;
            remainder[best] = -1.0;
            taken++;
        }
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] heldOut = new boolean[labels.length];
        for (int c = 0; c < classCount; c++) {
            int[] rows = byClass.get(c).stream().mapToInt(Integer::intValue).toArray();
            // Partial Fisher-Yates: the first take[c] positions become a uniform random subset.
            for (int k = 0; k < take[c]; k++) {
                int j = k + random.nextInt(rows.length - k);
                int t = rows[k];
                rows[k] = rows[j];
                rows[j] = t;
                heldOut[rows[k]] = true;
            }
        }
        List<Integer> trainRows = new ArrayList<>();
        List<Integer> heldOutRows = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            (heldOut[i] ? heldOutRows : trainRows).add(i);
        }
        return new Split(subset(trainRows), subset(heldOutRows));
    }

    /** The rows at the given indices, in that order, with the same class list. */
    public Dataset subset(List<Integer> rows) {
        double[][] x = new double[rows.size()][];
        int[] y = new int[rows.size()];
        for (int k = 0; k < x.length; k++) {
            x[k] = features[rows.get(k)];
            y[k] = labels[rows.get(k)];
        }
        return new Dataset(x, y, classes);
    }

    public int size() {
        return labels.length;
    }

    /** Features per row; 0 for a data set without rows. */
    public int featureCount() {
        return features.length == 0 ? 0 : features[0].length;
    }

    /** Rows per class, indexed like {@link #classes()}. */
    public int[] classCounts() {
        int[] counts = new int[classes.size()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /** A deep copy of the rows. */
    @Override
    public double[][] features() {
        double[][] copy = new double[features.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = features[i].clone();
        }
        return copy;
    }

    /** Row {@code i} (a copy). */
    public double[] row(int i) {
        return features[i].clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** Row {@code i}'s class index. */
    public int label(int i) {
        return labels[i];
    }

    /** The rows without copying, for code in this package that promises not to change them. */
    double[][] rows() {
        return features;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dataset d && java.util.Arrays.deepEquals(features, d.features)
                && java.util.Arrays.equals(labels, d.labels) && classes.equals(d.classes);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * java.util.Arrays.deepHashCode(features) + java.util.Arrays.hashCode(labels))
                + classes.hashCode();
    }

    @Override
    public String toString() {
        return "Dataset[rows=" + features.length + ", features=" + featureCount() + ", classes=" + classes + "]";
    }

    private static int lengthOf(double[][] features, int i) {
        if (features[i] == null) {
            throw new IllegalArgumentException("row " + i + " is missing");
        }
        return features[i].length;
    }

    private static void checkClasses(List<String> classes) {
        if (classes.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes.size());
        }
        for (String name : classes) {
            if (name == null) {
                throw new IllegalArgumentException("class names must not be null");
            }
        }
        if (new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException("class names must be distinct, got " + classes);
        }
    }
}
