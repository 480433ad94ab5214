package dev.mcdropout.system;

import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.context.annotation.Bean;

/**
 * Actuator runs in a child context on its own port ({@code management.server.port}), whose servlet context
 * does not take the application's filters: the filter that shows health details to key holders is registered
 * there too, so that the rule of {@link HealthDetailsAccessFilter} holds where the probes are served.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
public class ManagementHealthDetailsConfiguration {

    @Bean
    HealthDetailsAccessFilter managementHealthDetailsAccessFilter(ApiKeyInterceptor keys) {
        return new HealthDetailsAccessFilter(keys);
    }
}
