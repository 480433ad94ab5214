package dev.mcdropout.system;

import java.util.Locale;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Fails the start where "loopback client" would not mean "local client". Without an API key the mutating
 * endpoints trust loopback peers, which is only safe where no proxy stands between the clients and the
 * service on the same host. Two situations say there may be one, and then the service refuses to start
 * without a key unless {@code mcdropout.security.allow-no-key-behind-proxy=true}:
 * <ul>
 *   <li>a cloud platform Spring Boot detects (Kubernetes by {@code KUBERNETES_SERVICE_HOST} and
 *       {@code _PORT}, Cloud Foundry, Heroku, ...): sidecars (Istio, Linkerd) and ingress proxies forward
 *       every client from a loopback or cluster address;</li>
 *   <li>forwarded headers trusted ({@code server.forward-headers-strategy} {@code native} or
 *       {@code framework}): the client address then comes from {@code X-Forwarded-For}, which any client
 *       can write unless the proxy in front replaces it.</li>
 * </ul>
 * The service's own {@code application.yml} sets {@code server.forward-headers-strategy=none}: Boot would
 * otherwise switch to {@code native} on such a platform, and Tomcat's RemoteIpValve would take
 * {@code X-Forwarded-For: 127.0.0.1} from any private-address peer as the truth.
 */
@Component
public class KeylessExposureCheck {

    public KeylessExposureCheck(McDropoutProperties properties, Environment environment) {
        check(properties.security(), environment);
    }

    static void check(McDropoutProperties.Security security, Environment environment) {
        if (security.hasApiKey() || security.allowNoKeyBehindProxy()) {
            return;
        }
        String strategy = Binder.get(environment).bind("server.forward-headers-strategy", String.class)
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).orElse("");
        CloudPlatform platform = CloudPlatform.getActive(environment);
        boolean forwarded = strategy.equals("native") || strategy.equals("framework")
                || (strategy.isEmpty() && platform != null && platform.isUsingForwardHeaders());
        if (platform == null && !forwarded) {
            return;
        }
        String why = platform != null
                ? "it runs on " + platform + " (detected by Spring Boot), where sidecars and ingress proxies can "
                        + "make any client a loopback or cluster-internal peer"
                : "server.forward-headers-strategy is " + strategy + ", so the client address is taken from "
                        + "forwarded headers that clients can write";
        throw new KeylessExposureException("No mcdropout.security.api-key is set and " + why + ": the mutating "
                + "endpoints (import, activate, delete, train) would be open to remote clients.");
    }

    /** The start is refused; {@link KeylessExposureFailureAnalyzer} says what to do. */
    public static final class KeylessExposureException extends IllegalStateException {

        KeylessExposureException(String message) {
            super(message);
        }
    }
}
