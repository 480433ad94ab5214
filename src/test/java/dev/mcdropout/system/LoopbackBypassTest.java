package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mcdropout.ChildService;
import dev.mcdropout.McDropoutApplication;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.mock.env.MockEnvironment;
import tools.jackson.databind.json.JsonMapper;

/**
 * The loopback rule fails closed. Forwarded headers are ignored unless an operator trusts them, so
 * {@code X-Forwarded-For: 127.0.0.1} from a remote peer does not make it local, even on Kubernetes (where
 * Spring Boot would otherwise trust them); without an API key the service refuses to start on such a
 * platform; a blank key is an error. The platform is the real one Spring Boot detects: a child JVM with
 * {@code KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT} set.
 */
class LoopbackBypassTest {

    private static final Map<String, String> KUBERNETES = Map.of(
            "KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");

    @Test
    void onKubernetesWithoutAKeyTheServiceRefusesToStart(@TempDir Path store, @TempDir Path logs) throws Exception {
        try (ChildService child = ChildService.start(logs.resolve("refused.log"), List.of("-Xmx256m"), KUBERNETES,
                "--mcdropout.store.dir=" + store, "--mcdropout.startup.train-default-model=false")) {
            assertThat(child.awaitExit(Duration.ofMinutes(2))).isNotZero();
            assertThat(child.log()).contains("APPLICATION FAILED TO START")
                    .contains("No mcdropout.security.api-key is set and it runs on KUBERNETES")
                    .contains("mcdropout.security.allow-no-key-behind-proxy=true");
        }
    }

    @Test
    void aForwardedLoopbackAddressFromARemotePeerIsRefusedOnKubernetes(@TempDir Path store, @TempDir Path logs)
            throws Exception {
        Optional<InetAddress> own = nonLoopbackAddress();
        assumeTrue(own.isPresent(), "this machine has no non-loopback IPv4 address to connect from");
        // The operator opted out of the key; any peer counts as a trusted proxy, as Tomcat's RemoteIpValve
        // would take a pod's 10.x sidecar or ingress: only the strategy decides whether the header counts.
        try (ChildService child = ChildService.start(logs.resolve("k8s.log"), List.of("-Xmx256m"), KUBERNETES,
                "--mcdropout.store.dir=" + store, "--mcdropout.startup.train-default-model=false",
                "--mcdropout.security.allow-no-key-behind-proxy=true",
                "--server.tomcat.remoteip.internal-proxies=.*")) {
            child.awaitStatus("/actuator/health/liveness", 200, Duration.ofMinutes(3));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String path = "/models/nosuch/versions/1/activate";
            URI remote = URI.create("http://" + own.get().getHostAddress() + ":" + child.port() + path);

            HttpResponse<String> forged = http.send(HttpRequest.newBuilder(remote)
                    .header("X-Forwarded-For", "127.0.0.1").header("X-Forwarded-Proto", "http")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(forged.statusCode()).as(forged.body()).isEqualTo(403);
            assertThat(JsonMapper.builder().build().readTree(forged.body()).get("type").asString())
                    .endsWith("/loopback-only");

            // The same call from a real loopback peer passes the rule (and finds no such model).
            HttpResponse<String> local = http.send(HttpRequest.newBuilder(child.uri(path))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(local.statusCode()).as(local.body()).isEqualTo(404);
        }
    }

    @Test
    void aBlankApiKeyStopsTheStart(@TempDir Path store) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(McDropoutApplication.class).run("--server.port=0",
                "--spring.jmx.enabled=false", "--mcdropout.store.dir=" + store,
                "--mcdropout.startup.train-default-model=false", "--mcdropout.security.api-key=  ").close())
                .hasStackTraceContaining("api-key must not be blank");
    }

    @Test
    void theCheckNamesEachSituationWhereLoopbackMayBeAProxy() {
        assertThatCode(() -> KeylessExposureCheck.check(security(null, false), new MockEnvironment()))
                .as("no platform, forwarded headers ignored").doesNotThrowAnyException();
        assertThatCode(() -> KeylessExposureCheck.check(security(null, false),
                new MockEnvironment().withProperty("server.forward-headers-strategy", "none")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> KeylessExposureCheck.check(security(null, false),
                new MockEnvironment().withProperty("server.forward-headers-strategy", "native")))
                .hasMessageContaining("server.forward-headers-strategy is native");
        assertThatThrownBy(() -> KeylessExposureCheck.check(security(null, false),
                new MockEnvironment().withProperty("server.forward-headers-strategy", "framework")))
                .hasMessageContaining("framework");
        assertThatThrownBy(() -> KeylessExposureCheck.check(security(null, false),
                new MockEnvironment().withProperty("spring.main.cloud-platform", "kubernetes")
                        .withProperty("server.forward-headers-strategy", "none")))
                .hasMessageContaining("KUBERNETES");
        assertThatCode(() -> KeylessExposureCheck.check(security("k3y", false),
                new MockEnvironment().withProperty("spring.main.cloud-platform", "kubernetes")))
                .as("a key").doesNotThrowAnyException();
        assertThatCode(() -> KeylessExposureCheck.check(security(null, true),
                new MockEnvironment().withProperty("server.forward-headers-strategy", "native")))
                .as("the explicit opt-out").doesNotThrowAnyException();
    }

    private static McDropoutProperties.Security security(String key, boolean optOut) {
        MapConfigurationPropertySource source = new MapConfigurationPropertySource();
        if (key != null) {
            source.put("mcdropout.security.api-key", key);
        }
        source.put("mcdropout.security.allow-no-key-behind-proxy", Boolean.toString(optOut));
        return new Binder(source).bindOrCreate("mcdropout", McDropoutProperties.class).security();
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
                    return Optional.of(address);
                }
            }
        }
        return Optional.empty();
    }
}
