package dev.mcdropout.system;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.http.ProblemDetail;
import java.util.List;
import org.slf4j.MDC;

/**
 * The body of every error (RFC 9457), members in the RFC's order. Written as a record rather than Spring's
 * {@code ProblemDetail} so that the order does not depend on Jackson's property sorting.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@Schema(name = "Problem", type = "object", description = "RFC 9457 problem details, served as application/problem+json")
public record ApiProblem(
        @Schema(description = "URI naming the kind of problem",
                example = "https://mcdropout.dev/problems/limit-exceeded") String type,
        @Schema(description = "Short summary of the kind of problem", example = "Request exceeds a limit") String title,
        @Schema(description = "HTTP status code", example = "400") int status,
        @Schema(description = "What went wrong and what to fix",
                example = "mcSamples is 20000, more than the 10000 allowed (limit mcdropout.limits.max-mc-samples)")
        String detail,
        @Schema(description = "The request path", example = "/predict") String instance,
        @Schema(description = "Offending fields, parameters or limits, when known",
                example = "[\"mcdropout.limits.max-mc-samples\"]") List<String> errors,
        @Schema(description = "The request's id, as in its X-Request-Id response header and the service's logs",
                example = "5f0c2a9e-6a47-4f5e-9a53-1c2b0d4e5f61") String requestId) {

    /**
     * The body of {@code problem}; a relative {@code type} (a slug such as {@code limit-exceeded}) is written
     * after {@code typeBase} ({@code mcdropout.problems.type-base}), an absolute one as it is.
     */
    @SuppressWarnings("unchecked")
    public static ApiProblem from(ProblemDetail problem, String typeBase) {
        Object errors = problem.getProperties() == null ? null : problem.getProperties().get("errors");
        java.net.URI type = problem.getType();
        String typeText = type == null ? null : type.isAbsolute() ? type.toString() : typeBase + type;
        return new ApiProblem(typeText, problem.getTitle(),
                problem.getStatus(), problem.getDetail(),
                problem.getInstance() == null ? null : problem.getInstance().toString(),
                errors instanceof List<?> list ? (List<String>) list : List.of(), MDC.get(RequestIdFilter.MDC_KEY));
    }
}
