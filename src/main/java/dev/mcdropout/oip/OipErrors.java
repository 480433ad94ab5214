package dev.mcdropout.oip;

import dev.mcdropout.oip.OipDtos.OipError;
import dev.mcdropout.system.BodySizeLimitFilter;
import dev.mcdropout.system.JsonErrors;
import dev.mcdropout.system.ProblemException;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import tools.jackson.core.JacksonException;

/**
 * Errors of the OIP endpoints as the protocol writes them, {@code {"error": "..."}} with the status a
 * {@code /predict} problem would have: it runs before the service-wide problem advice, for this controller only.
 */
@RestControllerAdvice(assignableTypes = OipController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class OipErrors {

    private static final Logger log = LoggerFactory.getLogger(OipErrors.class);

    @ExceptionHandler(Exception.class)
    ResponseEntity<OipError> handle(Exception e, HttpServletRequest request) {
        ProblemException problem = clientCause(e);
        if (problem != null) {
            return respond(problem.getStatusCode(), problem.detail(), problem.getHeaders());
        }
        if (e instanceof HttpMessageNotReadableException unreadable) {
            return respond(HttpStatus.BAD_REQUEST, unreadable(unreadable), null);
        }
        if (e instanceof HttpMediaTypeNotSupportedException unsupported) {
            return respond(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type "
                    + (unsupported.getContentType() == null ? "(none)" : unsupported.getContentType())
                    + " is not accepted here; send application/json", null);
        }
        if (e instanceof ErrorResponse spring && spring.getStatusCode().is4xxClientError()) {
            String detail = spring.getBody().getDetail();
            return respond(spring.getStatusCode(), detail == null ? "the request is invalid" : detail, null);
        }
        log.error("unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "the service failed to answer this request; it has been logged", null);
    }

    private static ProblemException clientCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BodySizeLimitFilter.BodyTooLargeException tooLarge) {
                return tooLarge.toProblem();
            }
            if (t instanceof ProblemException problem) {
                return problem;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String unreadable(HttpMessageNotReadableException e) {
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof JacksonException jackson) {
                String path = JsonErrors.path(jackson);
                String message = JsonErrors.message(jackson);
                for (String noise : new String[] {": enable ", " (start marker at ", " at [Source:"}) {
                    int at = message.indexOf(noise);
                    if (at > 0) {
                        message = message.substring(0, at);
                    }
                }
                return "the request body is not a valid inference request" + (path.isEmpty() ? "" : " at " + path)
                        + ": " + OipController.abbreviate(message);
            }
        }
        return "the request needs a JSON body: an inference request with \"inputs\"";
    }

    private static ResponseEntity<OipError> respond(HttpStatusCode status, String message, HttpHeaders extra) {
        HttpHeaders headers = new HttpHeaders();
        if (extra != null) {
            headers.putAll(extra);
        }
        headers.setContentType(MediaType.APPLICATION_JSON);
        return ResponseEntity.status(status).headers(headers).body(new OipError(message));
    }
}
