package dev.mcdropout.system;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/** Enforces {@link RequiresApiKey}. */
@Component
public class ApiKeyInterceptor implements HandlerInterceptor {

    public static final String HEADER = "X-API-Key";

    private final byte[] expectedDigest;
    private final boolean artifactDownloadRequiresKey;

    public ApiKeyInterceptor(McDropoutProperties properties) {
        McDropoutProperties.Security security = properties.security();
        this.expectedDigest = security.hasApiKey() ? sha256(security.apiKey()) : null;
        this.artifactDownloadRequiresKey = security.artifactDownloadRequiresKey();
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (handler instanceof HandlerMethod method) {
            RequiresApiKey required = method.getMethodAnnotation(RequiresApiKey.class);
            if (required == null) {
                required = method.getBeanType().getAnnotation(RequiresApiKey.class);
            }
            if (required != null && (required.value() == RequiresApiKey.When.ALWAYS || artifactDownloadRequiresKey)) {
                // getRemoteAddr is the TCP peer: server.forward-headers-strategy is none unless set explicitly
                check(request.getHeader(HEADER), request.getRemoteAddr());
            }
        }
        return true;
    }

    /** Whether a request may see what the key protects (health details, say), without a problem if not. */
    public boolean isAuthorized(String presentedKey, String remoteAddress) {
        if (expectedDigest == null) {
            return isLoopback(remoteAddress);
        }
        return presentedKey != null && !presentedKey.isEmpty()
                && MessageDigest.isEqual(expectedDigest, sha256(presentedKey));
    }

    /** Throws a 401/403 problem unless the caller may mutate. */
    void check(String presentedKey, String remoteAddress) {
        if (expectedDigest == null) {
            if (!isLoopback(remoteAddress)) {
                throw new ProblemException(HttpStatus.FORBIDDEN, "loopback-only", "Only local clients may change models",
                        "no mcdropout.security.api-key is configured, so this endpoint accepts requests from "
                                + "loopback addresses only; configure an API key to allow remote clients");
            }
            return;
        }
        if (presentedKey == null || presentedKey.isEmpty()) {
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "api-key-missing", "API key required",
                    "send the API key in header " + HEADER);
        }
        // Comparing digests of equal length keeps the comparison's time independent of where keys differ
        // and of the configured key's length.
        if (!MessageDigest.isEqual(expectedDigest, sha256(presentedKey))) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "api-key-invalid", "API key rejected",
                    "the " + HEADER + " header does not match the configured API key");
        }
    }

    static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        // Only numeric addresses reach us from the connector; never resolve names here.
        boolean ipv4 = address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean ipv6 = address.matches("\\[?[0-9a-fA-F:.]+(%[0-9a-zA-Z]+)?]?") && address.indexOf(':') >= 0;
        if (!ipv4 && !ipv6) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
