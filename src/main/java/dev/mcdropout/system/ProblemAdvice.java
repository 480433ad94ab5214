package dev.mcdropout.system;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;

/**
 * The one place where failures become RFC 9457 problems ({@code application/problem+json}). Spring's own
 * exceptions (unreadable JSON, wrong parameter types, wrong method or media type, unknown paths) get a
 * detail that says what to fix; nothing a client can cause is answered with a 5xx or a stack trace.
 */
@RestControllerAdvice
public class ProblemAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

    private final String typeBase;
    private final org.springframework.util.unit.DataSize maxTrainingBody;

    public ProblemAdvice(McDropoutProperties properties) {
        this.typeBase = properties.problems().typeBase();
        this.maxTrainingBody = properties.limits().maxTrainingBody();
    }

    /** A multipart body Tomcat cannot parse (bad boundary, truncated part) is the client's mistake. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Object> handleMultipart(MultipartException e, HttpServletRequest request) {
        ProblemException cause = clientCause(e);
        if (cause != null) {
            return respond(cause.getBody(), request, cause.getHeaders());
        }
        return respond(Problems.of(HttpStatus.BAD_REQUEST, "invalid-multipart", "Invalid multipart body",
                "the multipart/form-data body could not be read; send a well-formed form "
                        + "(for example curl -F data=@file.csv -F name=wine)", List.of()), request, null);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> handleUnexpected(Exception e, HttpServletRequest request) {
        ProblemException cause = clientCause(e);
        if (cause != null) {
            return respond(cause.getBody(), request, cause.getHeaders());
        }
        log.error("unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the service failed to answer this request; it has been logged", List.of()), request, null);
    }

    /** A client-caused failure hiding in a cause chain (a body read that passed the limit, mostly). */
    static ProblemException clientCause(Throwable e) {
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

    /**
     * Every exception the framework knows (its own and our {@link ProblemException}s, which are
     * {@link org.springframework.web.ErrorResponseException}s) arrives here with its status and headers.
     */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
                                                             HttpStatusCode status, WebRequest request) {
        ProblemException cause = clientCause(ex);
        HttpServletRequest servletRequest = ((ServletWebRequest) request).getRequest();
        if (cause != null) {
            HttpHeaders all = new HttpHeaders();
            all.putAll(cause.getHeaders());
            if (headers != null) {
                all.putAll(headers);
            }
            return respond(cause.getBody(), servletRequest, all);
        }
        ProblemDetail problem = describe(ex, status, servletRequest);
        return respond(problem, servletRequest, headers);
    }

    private ProblemDetail describe(Exception ex, HttpStatusCode status, HttpServletRequest request) {
        if (ex instanceof HttpMessageNotReadableException unreadable) {
            return unreadable(unreadable, status);
        }
        if (ex instanceof MethodArgumentTypeMismatchException mismatch) {
            String expected = mismatch.getRequiredType() == null ? "another type"
                    : friendlyType(mismatch.getRequiredType());
            return Problems.of(status, "invalid-parameter", "Invalid parameter",
                    "parameter '" + mismatch.getName() + "' must be " + expected + ", got '"
                            + abbreviate(String.valueOf(mismatch.getValue())) + "'",
                    List.of(mismatch.getName()));
        }
        if (ex instanceof MissingServletRequestParameterException missing) {
            return Problems.of(status, "missing-parameter", "Missing parameter",
                    "query parameter '" + missing.getParameterName() + "' is required", List.of(missing.getParameterName()));
        }
        if (ex instanceof org.springframework.web.multipart.support.MissingServletRequestPartException missing) {
            return Problems.of(status, "missing-part", "Missing part",
                    "multipart part '" + missing.getRequestPartName() + "' is required", List.of(missing.getRequestPartName()));
        }
        if (ex instanceof MissingRequestHeaderException missing) {
            return Problems.of(status, "missing-header", "Missing header",
                    "header '" + missing.getHeaderName() + "' is required", List.of(missing.getHeaderName()));
        }
        if (ex instanceof HttpMediaTypeNotSupportedException unsupported) {
            String supported = unsupported.getSupportedMediaTypes().stream().map(MediaType::toString)
                    .collect(Collectors.joining(", "));
            return Problems.of(status, "unsupported-media-type", "Unsupported media type",
                    "Content-Type " + (unsupported.getContentType() == null ? "(none)" : unsupported.getContentType())
                            + " is not accepted here; send " + supported, List.of());
        }
        if (ex instanceof HttpMediaTypeNotAcceptableException notAcceptable) {
            String supported = notAcceptable.getSupportedMediaTypes().stream().map(MediaType::toString)
                    .collect(Collectors.joining(", "));
            return Problems.of(status, "not-acceptable", "Not acceptable",
                    "this endpoint answers with " + supported + "; change the Accept header", List.of());
        }
        if (ex instanceof HttpRequestMethodNotSupportedException method) {
            return Problems.of(status, "method-not-allowed", "Method not allowed",
                    "method " + method.getMethod() + " is not allowed on " + request.getRequestURI()
                            + (method.getSupportedHttpMethods() == null ? "" : "; use " + method.getSupportedHttpMethods()),
                    List.of());
        }
        if (ex instanceof NoResourceFoundException || ex instanceof NoHandlerFoundException) {
            return Problems.of(HttpStatus.NOT_FOUND, "not-found", "Not found",
                    "no endpoint at " + abbreviate(request.getRequestURI())
                            + "; the API is described at /v3/api-docs", List.of());
        }
        if (ex instanceof MaxUploadSizeExceededException) {
            // multipart limits are mcdropout.limits.max-training-body (WebConfig#multipartConfigElement)
            return ProblemException.limit(HttpStatus.CONTENT_TOO_LARGE, "max-training-body",
                    "the multipart body is larger than the " + BodySizeLimitFilter.describe(maxTrainingBody)
                            + " allowed; send a smaller file").getBody();
        }
        if (status.is5xxServerError()) {
            log.error("failure on {} {}", request.getMethod(), request.getRequestURI(), ex);
            return Problems.of(status, "internal-error", "Internal error",
                    "the service failed to answer this request; it has been logged", List.of());
        }
        HttpStatus known = HttpStatus.resolve(status.value());
        String title = known == null ? "Error" : known.getReasonPhrase();
        return Problems.of(status, "http-" + status.value(), title,
                ex.getMessage() == null ? title : abbreviate(ex.getMessage()), List.of());
    }

    private static ProblemDetail unreadable(HttpMessageNotReadableException ex, HttpStatusCode status) {
        JacksonException jackson = null;
        for (Throwable t = ex.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof JacksonException j) {
                jackson = j;
                break;
            }
        }
        if (jackson == null) {
            String message = ex.getMessage() == null ? "" : ex.getMessage();
            if (message.startsWith("Required request body is missing")) {
                return Problems.of(status, "invalid-json", "Request body missing",
                        "the request needs a JSON body", List.of());
            }
            return Problems.of(status, "invalid-json", "Unreadable request body",
                    "the request body could not be read as JSON", List.of());
        }
        String path = JsonErrors.path(jackson);
        String where = "";
        if (!path.isEmpty()) {
            where = " at " + path;
        } else if (jackson.getLocation() != null && jackson.getLocation().getLineNr() > 0) {
            where = " at line " + jackson.getLocation().getLineNr() + ", column " + jackson.getLocation().getColumnNr();
        }
        String original = JsonErrors.message(jackson);
        // Jackson suggests enabling parser features; that advice is for us, not for the client.
        for (String noise : new String[] {": enable ", " (start marker at ", " at [Source:"}) {
            int at = original.indexOf(noise);
            if (at > 0) {
                original = original.substring(0, at);
            }
        }
        return Problems.of(status, "invalid-json", "Invalid JSON",
                "the request body is invalid" + where + ": " + abbreviate(original)
                        + "; numbers must be finite JSON numbers (no NaN, Infinity, strings or null)",
                path.isEmpty() ? List.of() : List.of(path));
    }

    private static String friendlyType(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a " + type.getSimpleName();
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private ResponseEntity<Object> respond(ProblemDetail problem, HttpServletRequest request, HttpHeaders extra) {
        if (problem.getInstance() == null) {
            // on a copy: a problem exception may be thrown again (a cached one) for another path
            ProblemDetail copy = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(problem.getStatus()),
                    problem.getDetail());
            copy.setType(problem.getType());
            copy.setTitle(problem.getTitle());
            if (problem.getProperties() != null) {
                problem.getProperties().forEach(copy::setProperty);
            }
            copy.setInstance(java.net.URI.create(safePath(request.getRequestURI())));
            problem = copy;
        }
        HttpHeaders headers = new HttpHeaders();
        if (extra != null) {
            headers.putAll(extra);
        }
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return ResponseEntity.status(problem.getStatus()).headers(headers).body(ApiProblem.from(problem, typeBase));
    }

    /** The request path as a URI reference, re-encoded so odd characters in it cannot break URI parsing. */
    static String safePath(String raw) {
        if (raw == null) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        for (char c : raw.toCharArray()) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~%:".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('_');
            }
        }
        return abbreviate(sb.toString());
    }
}
