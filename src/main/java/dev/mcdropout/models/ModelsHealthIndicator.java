package dev.mcdropout.models;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * "models" in the readiness group: DOWN until at least one model is active, so a load balancer sends no
 * predictions to an instance that is still training or loading its default model. Liveness ignores it.
 */
@Component
public class ModelsHealthIndicator implements HealthIndicator {

    private final ModelRegistry registry;
    private final DefaultModelBootstrap bootstrap;

    public ModelsHealthIndicator(ModelRegistry registry, DefaultModelBootstrap bootstrap, MeterRegistry meters) {
        this.registry = registry;
        this.bootstrap = bootstrap;
        // Readiness as a number for Prometheus (the readiness alert): 1 once a model is active, else 0.
        Gauge.builder("mcdropout.ready", registry, r -> r.anyActive() ? 1 : 0)
                .description("1 when a model is active and predictions can be served (the models readiness component), else 0")
                .strongReference(true)
                .register(meters);
    }

    @Override
    public Health health() {
        Map<String, Integer> active = registry.activeVersions();
        if (!active.isEmpty()) {
            return Health.up().withDetail("active", active).build();
        }
        Health.Builder down = Health.down().withDetail("reason", "no model is active yet");
        bootstrap.status().ifPresent(status -> down.withDetail("startup", status));
        return down.build();
    }
}
