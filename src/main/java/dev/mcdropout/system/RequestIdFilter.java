package dev.mcdropout.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every request an id: the client's {@code X-Request-Id} when it is sane (1 to 64 characters of letters,
 * digits and {@code . _ : -}), else a new UUID. The id is echoed in the response header, put in the logging MDC
 * as {@code requestId} (so every log line written while serving the request carries it) and added to problem
 * bodies. Runs first, also on the error dispatch, which keeps the id the request already had. Counts the requests
 * in flight ({@link InFlightRequests}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIdFilter extends OncePerRequestFilter {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    /** When the request reached the application (System.nanoTime), for its deadline. */
    public static final String ARRIVAL = RequestIdFilter.class.getName() + ".arrival";
    private static final String ID = RequestIdFilter.class.getName() + ".id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private final InFlightRequests inFlight;

    public RequestIdFilter(InFlightRequests inFlight) {
        this.inFlight = inFlight;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Object known = request.getAttribute(ID);
        String id;
        if (known instanceof String s) {
            id = s;
        } else {
            id = sane(request.getHeader(HEADER));
            request.setAttribute(ID, id);
            request.setAttribute(ARRIVAL, System.nanoTime());
        }
        String outer = MDC.get(MDC_KEY);
        MDC.put(MDC_KEY, id);
        response.setHeader(HEADER, id);
        // Counted once per request: the error dispatch of a request runs through here again.
        boolean first = !(known instanceof String);
        if (first) {
            inFlight.arrived();
        }
        try {
            chain.doFilter(request, response);
        } finally {
            if (first) {
                inFlight.answered();
            }
            if (outer == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, outer);
            }
        }
    }

    /** The client's id if it is safe to log and echo, else a fresh one. */
    static String sane(String offered) {
        return offered != null && SANE.matcher(offered).matches() ? offered : freshId();
    }

    /**
     * A random (version 4) UUID from the thread's own generator: an id only has to be unique enough to find a
     * request's log lines, not unguessable, and {@link UUID#randomUUID()} draws from the shared SecureRandom
     * on every request without an id of its own.
     */
    static String freshId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;                        // version 4
        long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48);         // IETF variant
        return new UUID(high, low).toString();
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return false;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }
}
