package dev.mcdropout.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Caps request bodies of every content type. Tomcat's form limit does not apply to JSON or zip bodies, so
 * this filter checks a declared {@code Content-Length} up front and, for chunked bodies, counts the bytes as
 * they are read and fails the read once the limit is passed. Either way the client gets a 413 problem naming
 * the limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class BodySizeLimitFilter extends OncePerRequestFilter {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<BodyLimitRule> rules;
    private final DataSize defaultLimit;
    private final String typeBase;

    public BodySizeLimitFilter(List<BodyLimitRule> rules, McDropoutProperties properties) {
        this.rules = List.copyOf(rules);
        this.defaultLimit = properties.limits().maxPredictBody();
        this.typeBase = properties.problems().typeBase();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        DataSize limit = defaultLimit;
        String property = "max-predict-body";
        for (BodyLimitRule rule : rules) {
            if (rule.matches(request.getMethod(), path)) {
                limit = rule.limit();
                property = rule.property();
                break;
            }
        }
        long max = limit.toBytes();
        long declared = request.getContentLengthLong();
        if (declared > max) {
            String detail = "the request body has " + declared + " bytes, more than the " + describe(limit)
                    + " allowed here; send less data per request";
            reject(request, response, property, detail);
            return;
        }
        chain.doFilter(new LimitedRequest(request, max, property, describe(limit)), response);
    }

    static String describe(DataSize size) {
        long bytes = size.toBytes();
        if (bytes % (1024 * 1024) == 0) {
            return (bytes / (1024 * 1024)) + " MiB";
        }
        if (bytes % 1024 == 0) {
            return (bytes / 1024) + " KiB";
        }
        return bytes + " bytes";
    }

    private void reject(HttpServletRequest request, HttpServletResponse response, String property,
                        String detail) throws IOException {
        ProblemException p = ProblemException.limit(HttpStatus.CONTENT_TOO_LARGE, property, detail);
        response.setStatus(p.status().value());
        // JSON is UTF-8 by definition (RFC 8259), so no charset parameter, as Spring writes problems.
        response.setContentType("application/problem+json");
        // Ask the client to stop sending: we will not read the rest of the body.
        response.setHeader("Connection", "close");
        ProblemDetail problem = p.getBody();
        problem.setInstance(java.net.URI.create(ProblemAdvice.safePath(request.getRequestURI())));
        byte[] body = JSON.writeValueAsBytes(ApiProblem.from(problem, typeBase));
        if (request.getRequestURI().startsWith(request.getContextPath() + "/v2/")) {
            // The Open Inference Protocol's error object, {"error": "..."}, rather than a problem.
            response.setContentType("application/json");
            body = JSON.writeValueAsBytes(java.util.Map.of("error", p.detail()));
        }
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        // Send the answer now: the client may still be sending the body, which Tomcat then swallows or drops.
        response.flushBuffer();
    }

    /** Thrown from a read that passes the limit; the error advice turns it into a 413 problem. */
    public static final class BodyTooLargeException extends IOException {

        private final String property;

        BodyTooLargeException(String property, String detail) {
            super(detail);
            this.property = property;
        }

        public ProblemException toProblem() {
            return ProblemException.limit(HttpStatus.CONTENT_TOO_LARGE, property, getMessage());
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {

        private final long max;
        private final String property;
        private final String limitText;
        private ServletInputStream stream;
        private java.io.BufferedReader reader;

        LimitedRequest(HttpServletRequest request, long max, String property, String limitText) {
            super(request);
            this.max = max;
            this.property = property;
            this.limitText = limitText;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new CountingStream(super.getInputStream());
            }
            return stream;
        }

        @Override
        public java.io.BufferedReader getReader() throws IOException {
            if (reader == null) {
                String encoding = getCharacterEncoding();
                reader = new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(),
                        encoding == null ? StandardCharsets.UTF_8 : java.nio.charset.Charset.forName(encoding)));
            }
            return reader;
        }

        private final class CountingStream extends ServletInputStream {

            private final ServletInputStream in;
            private long count;

            CountingStream(ServletInputStream in) {
                this.in = in;
            }

            private void add(long n) throws BodyTooLargeException {
                if (n > 0) {
                    count += n;
                    if (count > max) {
                        throw new BodyTooLargeException(property, "the request body is larger than the "
                                + limitText + " allowed here; send less data per request");
                    }
                }
            }

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    add(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                add(n);
                return n;
            }

            @Override
            public boolean isFinished() {
                return in.isFinished();
            }

            @Override
            public boolean isReady() {
                return in.isReady();
            }

            @Override
            public void setReadListener(ReadListener listener) {
                in.setReadListener(listener);
            }
        }
    }
}
