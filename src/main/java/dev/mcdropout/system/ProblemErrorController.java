package dev.mcdropout.system;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Replaces Boot's whitelabel/JSON error page: whatever reaches {@code /error} (a failure in a filter, an
 * error the container raised) is answered as a problem too.
 */
@Hidden
@RestController
public class ProblemErrorController implements ErrorController {

    private final String typeBase;

    public ProblemErrorController(McDropoutProperties properties) {
        this.typeBase = properties.problems().typeBase();
    }

    @RequestMapping("/error")
    ResponseEntity<ApiProblem> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Object exception = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        ProblemDetail problem;
        ProblemException cause = exception instanceof Throwable t ? ProblemAdvice.clientCause(t) : null;
        if (cause != null) {
            problem = Problems.of(cause.getStatusCode(), cause.type(), cause.title(), cause.detail(), cause.errors());
        } else {
            // No status attribute: a client asked for /error itself, which is no endpoint.
            HttpStatus status = code == null ? HttpStatus.NOT_FOUND
                    : code instanceof Integer i && HttpStatus.resolve(i) != null
                    ? HttpStatus.resolve(i) : HttpStatus.INTERNAL_SERVER_ERROR;
            String detail = status == HttpStatus.NOT_FOUND
                    ? "no endpoint at this path; the API is described at /v3/api-docs"
                    : status.is5xxServerError() ? "the service failed to answer this request; it has been logged"
                    : "the request was rejected: " + status.getReasonPhrase();
            String type = status == HttpStatus.NOT_FOUND ? "not-found"
                    : status.is5xxServerError() ? "internal-error" : "http-" + status.value();
            problem = Problems.of(status, type, status.getReasonPhrase(), detail, List.of());
        }
        problem.setInstance(java.net.URI.create(ProblemAdvice.safePath(uri instanceof String s ? s : "/error")));
        return ResponseEntity.status(problem.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(ApiProblem.from(problem, typeBase));
    }
}
