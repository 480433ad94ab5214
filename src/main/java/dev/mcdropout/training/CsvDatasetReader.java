package dev.mcdropout.training;

import dev.mcdropout.system.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;
import org.springframework.http.HttpStatus;

/**
 * Reads a training data set from CSV (RFC 4180, UTF-8): a header row, then one row per example; every column
 * but the label column must hold finite numbers. Limits are checked while reading, so an oversized file is
 * rejected without being held in memory first.
 */
public final class CsvDatasetReader {

    /** Rows and labels as read, plus the header names of the feature columns. */
    public record Parsed(double[][] features, List<String> labels, List<String> featureNames, String labelColumn) {
    }

    /** Plain decimal numbers; Double.parseDouble alone would also take "NaN", "Infinity", "1d" and hex floats. */
    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final TrainingLimits limits;

    public CsvDatasetReader(TrainingLimits limits) {
        this.limits = limits;
    }

    public Parsed read(InputStream in, String labelColumn) {
        return read(in, labelColumn, true);
    }

    /**
     * Feature rows without labels (an out-of-distribution set): every column is a feature, except a column named
     * {@code ignoredColumn} if the header has one (so the same file layout as a labelled set is accepted).
     * {@link Parsed#labels()} is empty.
     */
    public Parsed readFeatures(InputStream in, String ignoredColumn) {
        return read(in, ignoredColumn, false);
    }

    private Parsed read(InputStream in, String labelColumn, boolean labelled) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        CSVFormat format = CSVFormat.RFC4180.builder()
                .setHeader()
                .setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true)
                .setIgnoreSurroundingSpaces(true)
                .setTrim(true)
                .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
                .setAllowMissingColumnNames(false)
                .get();
        try (Reader reader = new InputStreamReader(withoutByteOrderMark(in), utf8); CSVParser parser = parse(reader, format)) {
            List<String> header = parser.getHeaderNames();
            if (!labelled) {
                if (header.isEmpty()) {
                    throw csv("the CSV header has no columns");
                }
            } else if (header.size() < 2) {
                throw csv("the CSV header has " + header.size() + " column(s); it needs at least one feature column "
                        + "and the label column");
            }
            int labelIndex;
            if (!labelled) {
                labelIndex = labelColumn == null ? -1 : header.indexOf(labelColumn);
                if (labelIndex >= 0 && header.size() == 1) {
                    throw csv("the CSV has only the column '" + abbreviate(labelColumn) + "', which is ignored here");
                }
            } else if (labelColumn == null || labelColumn.isEmpty()) {
                labelIndex = header.size() - 1;
            } else {
                labelIndex = header.indexOf(labelColumn);
                if (labelIndex < 0) {
                    throw ProblemException.badRequest("invalid-csv", "Invalid CSV",
                            "labelColumn '" + abbreviate(labelColumn) + "' is not in the CSV header; the header has "
                                    + abbreviate(String.join(", ", header)));
                }
            }
            int featureCount = header.size() - (labelIndex >= 0 ? 1 : 0);
            if (featureCount > limits.maxTrainingFeatures()) {
                throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-training-features",
                        "the CSV has " + featureCount + " feature columns, more than the "
                                + limits.maxTrainingFeatures() + " allowed");
            }
            List<String> featureNames = new ArrayList<>(featureCount);
            for (int j = 0; j < header.size(); j++) {
                if (j != labelIndex) {
                    featureNames.add(header.get(j));
                }
            }
            List<double[]> rows = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (CSVRecord record : parser) {
                long line = parser.getCurrentLineNumber(); // lines read so far, the header being line 1
                if (rows.size() >= limits.maxTrainingRows()) {
                    throw ProblemException.limit(HttpStatus.CONTENT_TOO_LARGE, "max-training-rows",
                            "the CSV has more than " + limits.maxTrainingRows() + " data rows");
                }
                if (record.size() != header.size()) {
                    throw ProblemException.unprocessable("invalid-dataset", "Invalid data set",
                            "CSV line " + line + " has " + record.size() + " cells but the header has " + header.size()
                                    + "; every row needs one value per column");
                }
                double[] row = new double[featureCount];
                int k = 0;
                for (int j = 0; j < header.size(); j++) {
                    String cell = record.get(j);
                    if (j == labelIndex) {
                        if (!labelled) {
                            continue;
                        }
                        if (cell.isEmpty()) {
                            throw ProblemException.unprocessable("invalid-dataset", "Invalid data set",
                                    "CSV line " + line + " has no label in column '" + abbreviate(header.get(j)) + "'");
                        }
                        labels.add(cell);
                    } else {
                        row[k++] = number(cell, line, header.get(j));
                    }
                }
                rows.add(row);
            }
            if (rows.isEmpty()) {
                throw ProblemException.unprocessable("invalid-dataset", "Invalid data set",
                        "the CSV has a header but no data rows");
            }
            return new Parsed(rows.toArray(double[][]::new), labels, featureNames,
                    labelIndex < 0 ? null : header.get(labelIndex));
        } catch (IOException e) {
            throw csvFailure(e);
        } catch (UncheckedIOException e) {
            throw csvFailure(e.getCause());
        } catch (IllegalStateException e) {
            // commons-csv reports malformed quoting this way
            throw csv("the CSV is malformed: " + abbreviate(firstLine(e.getMessage())));
        }
    }

    /** Spreadsheets often start UTF-8 CSV files with a byte-order mark; it is not part of the first column's name. */
    private static InputStream withoutByteOrderMark(InputStream in) throws IOException {
        java.io.PushbackInputStream pushback = new java.io.PushbackInputStream(in, 3);
        byte[] head = pushback.readNBytes(3);
        boolean bom = head.length == 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF;
        if (!bom) {
            pushback.unread(head);
        }
        return pushback;
    }

    private static CSVParser parse(Reader reader, CSVFormat format) throws IOException {
        try {
            return CSVParser.builder().setReader(reader).setFormat(format).get();
        } catch (IllegalArgumentException e) {
            throw csv("the CSV header is invalid: " + abbreviate(firstLine(e.getMessage()))
                    + "; give every column a distinct, non-empty name");
        }
    }

    private static double number(String cell, long line, String column) {
        double value;
        try {
            if (cell.isEmpty() || !DECIMAL.matcher(cell).matches()) {
                throw new NumberFormatException();
            }
            value = Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            throw ProblemException.unprocessable("invalid-dataset", "Invalid data set",
                    "CSV line " + line + ", column '" + abbreviate(column) + "' is '" + abbreviate(cell)
                            + "', not a finite number; every column but the label column must hold numbers");
        }
        if (!Double.isFinite(value)) {
            throw ProblemException.unprocessable("invalid-dataset", "Invalid data set",
                    "CSV line " + line + ", column '" + abbreviate(column) + "' is " + cell
                            + ", too large to be a finite number");
        }
        return value;
    }

    private static ProblemException csvFailure(IOException e) {
        if (e instanceof java.nio.charset.CharacterCodingException) {
            return csv("the CSV is not UTF-8 text");
        }
        if (e instanceof org.apache.commons.csv.CSVException) {
            // malformed quoting, an unterminated quoted field
            return csv("the CSV is malformed: " + abbreviate(firstLine(e.getMessage())));
        }
        if (dev.mcdropout.system.ProblemException.class.isInstance(e.getCause())) {
            return (ProblemException) e.getCause();
        }
        throw new UncheckedIOException(e);
    }

    private static ProblemException csv(String detail) {
        return ProblemException.badRequest("invalid-csv", "Invalid CSV", detail);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
