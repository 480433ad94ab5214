package dev.mcdropout.system;

import java.time.Duration;
import org.springframework.http.HttpStatus;

/** A 429 or 503 problem that tells the client when to try again ({@code Retry-After}, in seconds). */
public class RetryLaterException extends ProblemException {

    private final Duration retryAfter;

    public RetryLaterException(HttpStatus status, String type, String title, String detail, Duration retryAfter) {
        super(status, type, title, detail);
        this.retryAfter = retryAfter;
    }

    /** Whole seconds, at least 1. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
}
