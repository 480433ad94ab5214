package dev.mcdropout.nn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Data sets bundled with the service. */
public final class Datasets {

    /** Classpath location of the digits data (see {@code datasets/README.md} there for its origin). */
    public static final String DIGITS_RESOURCE = "/datasets/digits.csv.gz";

    private static final int DIGITS_FEATURES = 64;

    private Datasets() {
    }

    /**
     * The UCI optical digits test set as scikit-learn ships it (Alpaydin and Kaynak 1998): 1,797 rows of
     * 8x8 images, 64 pixel values in 0..16 each, classes "0" to "9".
     */
    public static Dataset digits() {
        try (InputStream raw = Datasets.class.getResourceAsStream(DIGITS_RESOURCE)) {
            if (raw == null) {
                throw new IllegalStateException("the bundled digits data " + DIGITS_RESOURCE + " is not on the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
                    StandardCharsets.US_ASCII));
            List<double[]> rows = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",");
                if (cells.length != DIGITS_FEATURES + 1) {
                    throw new IllegalStateException(DIGITS_RESOURCE + " line " + lineNumber + " has " + cells.length
                            + " cells, expected " + (DIGITS_FEATURES + 1));
                }
                double[] row = new double[DIGITS_FEATURES];
                for (int j = 0; j < DIGITS_FEATURES; j++) {
                    row[j] = Double.parseDouble(cells[j].trim());
                }
                rows.add(row);
                labels.add(Integer.toString((int) Double.parseDouble(cells[DIGITS_FEATURES].trim())));
            }
            return Dataset.of(rows.toArray(new double[0][]), labels);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DIGITS_RESOURCE, e);
        }
    }
}
