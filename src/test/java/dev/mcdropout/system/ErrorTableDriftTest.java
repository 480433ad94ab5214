package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Drift: every problem {@code type} the code can produce is in the error table of docs/api.md. The types are
 * read from the main sources where problems are made: {@code new ProblemException(status, "type", ...)},
 * {@code Problems.of(status, "type", ...)} (a 429 or 503 adds {@code .retryAfter(...)} to the former), the
 * {@code ProblemException.badRequest/notFound/conflict/unprocessable("type", ...)} factories, a type chosen by
 * a conditional ({@code cond ? "a-type" : "b-type"}) and the literals of a {@code String type = ...;}. A type ending in {@code -} is a family
 * ({@code "http-" + status}), documented as {@code http-NNN}.
 */
class ErrorTableDriftTest {

    private static final Path SOURCES = Path.of("src", "main", "java");
    private static final String TYPE = "\"([a-z][a-z0-9]*(?:-[a-z0-9]+)*-?)\"";
    private static final List<Pattern> MAKERS = List.of(
            Pattern.compile("(?:new ProblemException|Problems\\.of)\\(\\s*[\\w.]+,\\s*" + TYPE),
            Pattern.compile("ProblemException\\.(?:badRequest|notFound|conflict|unprocessable)\\(\\s*" + TYPE),
            // a conditional choice of type inside a problem's constructor (not any conditional pair of strings)
            Pattern.compile("new ProblemException\\([^;]*?\\?\\s*" + TYPE + "\\s*:\\s*" + TYPE, Pattern.DOTALL));
    private static final Pattern TYPE_VARIABLE = Pattern.compile("String type = ([^;]*);");
    private static final Pattern LITERAL = Pattern.compile(TYPE);

    @Test
    void everyProblemTypeTheCodeCanProduceIsInTheErrorTable() throws Exception {
        Set<String> produced = producedTypes();
        // a sample of each way of making a problem, so that a broken pattern cannot pass by finding nothing
        assertThat(produced).contains("invalid-json", "unknown-model", "training-queue-full", "limit-exceeded",
                "feature-count-mismatch", "invalid-number", "not-found", "bad-request", "http-", "job-finished",
                "training-out-of-memory", "busy");

        String table = errorTable(Files.readString(Path.of("docs", "api.md"), StandardCharsets.UTF_8));
        assertThat(missing(produced, table)).as("problem types missing from the error table of docs/api.md").isEmpty();
    }

    @Test
    void aRemovedRowIsFound() throws Exception {
        String doc = Files.readString(Path.of("docs", "api.md"), StandardCharsets.UTF_8);
        String withoutRow = doc.replaceAll("(?m)^\\| 429 \\|.*\\n", "");
        assertThat(missing(producedTypes(), errorTable(withoutRow))).containsExactly("experiment-queue-full", "training-queue-full");
    }

    static List<String> missing(Set<String> produced, String table) {
        return produced.stream()
                .filter(type -> !table.contains("`" + (type.endsWith("-") ? type + "NNN" : type) + "`"))
                .toList();
    }

    /** The rows of the table under "## Errors". */
    static String errorTable(String markdown) {
        int start = markdown.indexOf("\n## Errors\n");
        assertThat(start).as("an Errors section").isNotNegative();
        int end = markdown.indexOf("\n## ", start + 1);
        String section = end < 0 ? markdown.substring(start) : markdown.substring(start, end);
        StringBuilder rows = new StringBuilder();
        section.lines().filter(line -> line.startsWith("| ")).forEach(line -> rows.append(line).append('\n'));
        return rows.toString();
    }

    static Set<String> producedTypes() throws IOException {
        Set<String> types = new TreeSet<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                String source;
                try {
                    source = Files.readString(f, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (!source.contains("Problem")) {
                    return;
                }
                for (Pattern p : MAKERS) {
                    Matcher m = p.matcher(source);
                    while (m.find()) {
                        for (int g = 1; g <= m.groupCount(); g++) {
                            types.add(m.group(g));
                        }
                    }
                }
                Matcher variable = TYPE_VARIABLE.matcher(source);
                while (variable.find()) {
                    Matcher literal = LITERAL.matcher(variable.group(1));
                    while (literal.find()) {
                        types.add(literal.group(1));
                    }
                }
            });
        }
        return types;
    }
}
