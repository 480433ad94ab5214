package dev.mcdropout.system;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The shape of every error body, for the OpenAPI document (RFC 9457). */
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
                example = "[\"mcdropout.limits.max-mc-samples\"]") List<String> errors) {
}
