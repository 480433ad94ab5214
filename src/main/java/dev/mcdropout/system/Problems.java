package dev.mcdropout.system;

import java.net.URI;
import java.util.List;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/**
 * Builds the problem bodies every error path of the service answers with. A problem's {@code type} is kept as
 * its slug (a relative URI, {@code limit-exceeded}) until it is written: {@link ApiProblem#from} puts
 * {@code mcdropout.problems.type-base} in front of it, so an operator can point the types at their own page.
 */
public final class Problems {

    /** The type base unless {@code mcdropout.problems.type-base} says otherwise. */
    public static final String DEFAULT_TYPE_BASE = "https://mcdropout.dev/problems/";

    private Problems() {
    }

    /**
     * {@code problem} with its slug type written after {@code typeBase}: for problems that are not answers
     * but parts of one (a failed job's {@code error}), serialized as they are.
     */
    public static ProblemDetail absolute(ProblemDetail problem, String typeBase) {
        if (problem.getType() != null && !problem.getType().isAbsolute()) {
            problem.setType(URI.create(typeBase + problem.getType()));
        }
        return problem;
    }

    public static ProblemDetail of(HttpStatusCode status, String type, String title, String detail,
                                   List<String> errors) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(type));
        problem.setTitle(title);
        if (errors != null && !errors.isEmpty()) {
            problem.setProperty("errors", List.copyOf(errors));
        }
        return problem;
    }
}
