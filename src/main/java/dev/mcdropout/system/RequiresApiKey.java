package dev.mcdropout.system;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a mutating endpoint: it needs header {@code X-API-Key} equal to {@code mcdropout.security.api-key}
 * or, when no key is configured, a loopback client. Checked by {@link ApiKeyInterceptor} before the body is
 * read.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresApiKey {

    /** When the key is needed. */
    enum When {
        /** Always: the mutating endpoints. */
        ALWAYS,
        /** While {@code mcdropout.security.artifact-download-requires-key} is true (the default). */
        ARTIFACT_DOWNLOAD
    }

    When value() default When.ALWAYS;
}
