package dev.mcdropout.system;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Warns at start-up about every {@code mcdropout.*} key in the configuration that no property binds (a typo in
 * {@code application.yml} or on the command line would otherwise change nothing, silently), naming the closest
 * known key. Known keys are those of {@code META-INF/spring-configuration-metadata.json}, which the
 * configuration processor writes from the {@code @ConfigurationProperties} records. Environment variables are
 * left out: their relaxed names ({@code MCDROPOUT_LIMITS_MAX_ROWS}) do not say where one word ends.
 */
@Component
public class UnknownPropertiesWarning {

    static final String PREFIX = "mcdropout";
    private static final Logger log = LoggerFactory.getLogger(UnknownPropertiesWarning.class);

    private final ConfigurableEnvironment environment;

    public UnknownPropertiesWarning(ConfigurableEnvironment environment) {
        this.environment = environment;
    }

    @EventListener(ApplicationStartedEvent.class)
    public void warnAboutUnknownKeys() {
        Set<String> known = knownKeys();
        if (known.isEmpty()) {
            return;
        }
        for (String key : unknownKeys(configuredKeys(), known)) {
            log.warn("unknown configuration property '{}' is ignored; did you mean '{}'?", key, closest(key, known));
        }
    }

    /** The {@code mcdropout.*} keys the configuration sets, in canonical form, environment variables aside. */
    Set<String> configuredKeys() {
        Set<String> keys = new TreeSet<>();
        ConfigurationPropertyName prefix = ConfigurationPropertyName.of(PREFIX);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)
                    || source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource) {
                continue;
            }
            iterable.stream().filter(prefix::isAncestorOf).forEach(name -> keys.add(name.toString()));
        }
        return keys;
    }

    static List<String> unknownKeys(Set<String> configured, Set<String> known) {
        return configured.stream().filter(key -> !known.contains(key)).toList();
    }

    /** Every {@code mcdropout.*} property of the generated metadata (empty if the build wrote none). */
    static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        try (InputStream in = UnknownPropertiesWarning.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            if (in == null) {
                return keys;
            }
            JsonNode metadata = JsonMapper.builder().build().readTree(in);
            for (JsonNode property : metadata.path("properties")) {
                String name = property.path("name").asString();
                if (name.startsWith(PREFIX + ".")) {
                    keys.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    /** The known key with the smallest edit distance to {@code key}. */
    static String closest(String key, Set<String> known) {
        return known.stream().min(Comparator.comparingInt((String k) -> distance(key, k)).thenComparing(k -> k))
                .orElseThrow();
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
