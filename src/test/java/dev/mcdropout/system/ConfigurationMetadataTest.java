package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration metadata the build generates ({@code spring-boot-configuration-processor}) describes every
 * {@code mcdropout.*} property, docs/api.md's configuration table lists each of them, and a key nobody binds
 * is reported at start-up with the closest known one.
 */
@ExtendWith(OutputCaptureExtension.class)
class ConfigurationMetadataTest {

    static final Path API_DOC = Path.of("docs", "api.md");

    private static List<JsonNode> mcdropoutProperties() throws Exception {
        try (InputStream in = ConfigurationMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("META-INF/spring-configuration-metadata.json on the class path").isNotNull();
            List<JsonNode> out = new ArrayList<>();
            JsonMapper.builder().build().readTree(in).path("properties").forEach(p -> {
                if (p.path("name").asString().startsWith("mcdropout.")) {
                    out.add(p);
                }
            });
            return out;
        }
    }

    @Test
    void metadataDescribesEveryMcdropoutPropertyWithADescriptionAndADefault() throws Exception {
        List<JsonNode> properties = mcdropoutProperties();
        List<String> names = properties.stream().map(p -> p.path("name").asString()).toList();
        assertThat(names).contains("mcdropout.default-model", "mcdropout.store.dir", "mcdropout.security.api-key",
                "mcdropout.limits.max-mc-samples", "mcdropout.limits.max-training-rows", "mcdropout.predict.queue-timeout",
                "mcdropout.nd4j.threads", "mcdropout.startup.seed", "mcdropout.training.nice", "mcdropout.training.wait-timeout");
        for (JsonNode p : properties) {
            assertThat(p.path("description").asString()).as("description of %s", p.path("name")).isNotBlank();
            if (!p.path("name").asString().equals("mcdropout.security.api-key")) {
                assertThat(p.has("defaultValue")).as("default of %s", p.path("name")).isTrue();
            }
        }
    }

    /** Drift: a property the code binds but the configuration table of docs/api.md does not list. */
    @Test
    void everyMetadataPropertyIsInTheConfigurationTableOfApiMd() throws Exception {
        Set<String> documented = configurationTable(Files.readString(API_DOC, StandardCharsets.UTF_8));
        List<String> missing = mcdropoutProperties().stream().map(p -> p.path("name").asString())
                .map(name -> name.substring("mcdropout.".length())).filter(name -> !documented.contains(name)).toList();
        assertThat(missing).as("properties missing from the Configuration table of %s", API_DOC).isEmpty();
    }

    /** The first column of the table under "## Configuration": property names without the mcdropout. prefix. */
    static Set<String> configurationTable(String markdown) {
        int start = markdown.indexOf("\n## Configuration\n");
        assertThat(start).as("a Configuration section").isNotNegative();
        int end = markdown.indexOf("\n## ", start + 1);
        String section = end < 0 ? markdown.substring(start) : markdown.substring(start, end);
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-z0-9.-]+)` \\|").matcher(section);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void configurationTableParserFindsRowsAndMissesRemovedOnes() throws Exception {
        String doc = Files.readString(API_DOC, StandardCharsets.UTF_8);
        assertThat(configurationTable(doc)).contains("store.dir", "training.nice");
        String withoutRow = doc.replaceAll("(?m)^\\| `training\\.nice` \\|.*\\n", "");
        assertThat(configurationTable(withoutRow)).doesNotContain("training.nice");
    }

    @Test
    void theServiceOwnApplicationYmlSetsOnlyKnownKeys() throws Exception {
        StandardEnvironment environment = new StandardEnvironment();
        for (PropertySource<?> source : new YamlPropertySourceLoader().load("application.yml", new ClassPathResource("application.yml"))) {
            environment.getPropertySources().addLast(source);
        }
        UnknownPropertiesWarning warning = new UnknownPropertiesWarning(environment);
        Set<String> configured = warning.configuredKeys();
        assertThat(configured).contains("mcdropout.limits.max-rows", "mcdropout.training.nice");
        assertThat(UnknownPropertiesWarning.unknownKeys(configured, UnknownPropertiesWarning.knownKeys())).isEmpty();
    }

    @Test
    void anUnknownKeyIsWarnedAboutNamingTheClosestKnownOne(CapturedOutput output) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", Map.of(
                "mcdropout.limits.max-rowz", "5", "mcdropout.predict.threads", "2", "mcdropout.training.queue-capcity", "3")));

        new UnknownPropertiesWarning(environment).warnAboutUnknownKeys();

        assertThat(output).contains(
                "unknown configuration property 'mcdropout.limits.max-rowz' is ignored; did you mean 'mcdropout.limits.max-rows'?",
                "unknown configuration property 'mcdropout.training.queue-capcity' is ignored; did you mean 'mcdropout.training.queue-capacity'?");
        assertThat(output).doesNotContain("'mcdropout.predict.threads' is ignored");
    }
}
