package dev.mcdropout.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Health details and components (model versions, start-up progress, exception messages of failing
 * indicators) for callers the API key would let mutate, nobody else. {@code application.yml} sets
 * {@code management.endpoint.health.show-details: when-authorized}; Spring Boot's actuator then shows them
 * to a request with a principal. Without Spring Security, this filter gives one to a request to
 * {@code /actuator/health} that carries the right {@code X-API-Key} (or, with no key configured, comes from
 * a loopback peer). Everyone else, probes included, still gets the status and its HTTP code.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class HealthDetailsAccessFilter extends OncePerRequestFilter {

    private static final Principal KEY_HOLDER = () -> "api-key";

    private final ApiKeyInterceptor keys;

    public HealthDetailsAccessFilter(ApiKeyInterceptor keys) {
        this.keys = keys;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !(path.equals("/actuator/health") || path.startsWith("/actuator/health/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!keys.isAuthorized(request.getHeader(ApiKeyInterceptor.HEADER), request.getRemoteAddr())) {
            chain.doFilter(request, response);
            return;
        }
        chain.doFilter(new HttpServletRequestWrapper(request) {
            @Override
            public Principal getUserPrincipal() {
                return KEY_HOLDER;
            }

            @Override
            public boolean isUserInRole(String role) {
                return true;
            }
        }, response);
    }
}
