package dev.mcdropout.models;

import dev.mcdropout.system.ProblemException;
import java.util.regex.Pattern;

/** The rule for model names, checked before a name gets anywhere near the file system. */
public final class ModelNames {

    public static final String REGEX = "[a-z0-9][a-z0-9_-]{0,63}";
    private static final Pattern PATTERN = Pattern.compile(REGEX);

    private ModelNames() {
    }

    public static boolean isValid(String name) {
        return name != null && PATTERN.matcher(name).matches();
    }

    /** The name itself, or a 400 problem explaining the rule. */
    public static String require(String name) {
        if (!isValid(name)) {
            String shown = name == null ? "(none)" : name.length() > 80 ? name.substring(0, 80) + "..." : name;
            throw new ProblemException(org.springframework.http.HttpStatus.BAD_REQUEST, "invalid-model-name",
                    "Invalid model name", "model name '" + shown + "' is invalid: use 1 to 64 characters of a-z, 0-9, "
                    + "'_' and '-', starting with a letter or digit", java.util.List.of("name"));
        }
        return name;
    }

    /** A version number from a path, or a 400 problem. */
    public static int requireVersion(int version) {
        if (version < 1) {
            throw ProblemException.badRequest("invalid-version", "Invalid version",
                    "version must be a positive integer (1, 2, 3, ...), got " + version);
        }
        return version;
    }
}
