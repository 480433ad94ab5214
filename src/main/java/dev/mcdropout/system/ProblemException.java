package dev.mcdropout.system;

import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * A client-facing failure with everything an RFC 9457 problem needs. {@code type} is a short slug that
 * becomes {@code https://mcdropout.dev/problems/{type}}; {@code detail} says what to fix.
 */
public class ProblemException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String title;
    private final List<String> errors;

    public ProblemException(HttpStatus status, String type, String title, String detail, List<String> errors) {
        super(detail);
        this.status = status;
        this.type = type;
        this.title = title;
        this.errors = errors == null ? List.of() : List.copyOf(errors);
    }

    public ProblemException(HttpStatus status, String type, String title, String detail) {
        this(status, type, title, detail, List.of());
    }

    public static ProblemException badRequest(String type, String title, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, type, title, detail);
    }

    public static ProblemException notFound(String type, String title, String detail) {
        return new ProblemException(HttpStatus.NOT_FOUND, type, title, detail);
    }

    public static ProblemException unprocessable(String type, String title, String detail) {
        return new ProblemException(HttpStatus.UNPROCESSABLE_CONTENT, type, title, detail);
    }

    public static ProblemException conflict(String type, String title, String detail) {
        return new ProblemException(HttpStatus.CONFLICT, type, title, detail);
    }

    /** A request over one of the {@code mcdropout.limits.*}; {@code property} names the limit. */
    public static ProblemException limit(HttpStatus status, String property, String detail) {
        return new ProblemException(status, "limit-exceeded", "Request exceeds a limit",
                detail + " (limit mcdropout.limits." + property + ")", List.of("mcdropout.limits." + property));
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public List<String> errors() {
        return errors;
    }
}
