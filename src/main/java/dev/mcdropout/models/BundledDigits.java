package dev.mcdropout.models;

import dev.mcdropout.nn.Dataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** TEMPORARY: the digits data from the classpath, until the engine's {@code Datasets.digits()} lands. */
final class BundledDigits {

    private BundledDigits() {
    }

    static Dataset load() {
        try (InputStream raw = BundledDigits.class.getResourceAsStream("/datasets/digits.csv.gz")) {
            if (raw == null) {
                throw new IllegalStateException("/datasets/digits.csv.gz is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII));
            List<double[]> rows = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split(",");
                double[] row = new double[parts.length - 1];
                for (int i = 0; i < row.length; i++) {
                    row[i] = Double.parseDouble(parts[i]);
                }
                rows.add(row);
                labels.add((int) Double.parseDouble(parts[parts.length - 1]));
            }
            List<String> classes = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
            return new Dataset(rows.toArray(double[][]::new), labels.stream().mapToInt(Integer::intValue).toArray(), classes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
