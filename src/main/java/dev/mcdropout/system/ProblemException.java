package dev.mcdropout.system;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A client-facing failure: Spring's {@link ErrorResponseException} with the RFC 9457 body every error of the
 * service has. The body's {@code type} is a short slug ({@code limit-exceeded}) that {@link ProblemAdvice}
 * writes after {@code mcdropout.problems.type-base}; {@code detail} says what to fix; an {@code errors}
 * property lists the offending fields, parameters or limits. Headers such as {@code Retry-After} travel with
 * the exception ({@link #retryAfter}), so the framework's error handling answers it as it is.
 */
public class ProblemException extends ErrorResponseException {

    public ProblemException(HttpStatusCode status, String type, String title, String detail, List<String> errors) {
        super(status, Problems.of(status, type, title, detail, errors), null);
    }

    public ProblemException(HttpStatusCode status, String type, String title, String detail) {
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

    /** A 429 or 503 that will pass: the problem with {@code Retry-After} set ({@link #retryAfter}). */
    public static ProblemException retryLater(HttpStatus status, String type, String title, String detail,
                                              Duration retryAfter) {
        return new ProblemException(status, type, title, detail).retryAfter(retryAfter);
    }

    /** Adds {@code Retry-After} (whole seconds, at least 1) to the answer: for a 429 or 503 that will pass. */
    public ProblemException retryAfter(Duration retryAfter) {
        getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
        return this;
    }

    public HttpStatus status() {
        return HttpStatus.valueOf(getStatusCode().value());
    }

    /** The slug, e.g. {@code limit-exceeded}. */
    public String type() {
        URI type = getBody().getType();
        return type == null ? null : type.toString();
    }

    public String title() {
        return getBody().getTitle();
    }

    public String detail() {
        return getBody().getDetail();
    }

    @SuppressWarnings("unchecked")
    public List<String> errors() {
        Object errors = getBody().getProperties() == null ? null : getBody().getProperties().get("errors");
        return errors instanceof List<?> list ? (List<String>) list : List.of();
    }

    /** The detail, as before this became an {@link ErrorResponseException}: logs and OIP errors quote it. */
    @Override
    public String getMessage() {
        return detail();
    }
}
