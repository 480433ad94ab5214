package dev.mcdropout.models;

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

    public ModelsHealthIndicator(ModelRegistry registry, DefaultModelBootstrap bootstrap) {
        this.registry = registry;
        this.bootstrap = bootstrap;
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
