package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

class McDropoutPropertiesTest {

    @Test
    void defaultsMatchTheDocumentedLimits() {
        McDropoutProperties p = new Binder(new MapConfigurationPropertySource())
                .bindOrCreate("mcdropout", McDropoutProperties.class);
        assertThat(p.defaultModel()).isEqualTo("digits");
        assertThat(p.store().dir().normalize()).isEqualTo(Path.of("data/models"));
        assertThat(p.security().hasApiKey()).isFalse();
        assertThat(p.limits().maxMcSamples()).isEqualTo(10_000);
        assertThat(p.limits().maxRows()).isEqualTo(10_000);
        assertThat(p.limits().maxRowSamples()).isEqualTo(10_000_000L);
        assertThat(p.limits().maxPredictBody()).isEqualTo(DataSize.ofMegabytes(16));
        assertThat(p.limits().maxPredictBody().toBytes()).isEqualTo(16L * 1024 * 1024);
        assertThat(p.limits().maxArtifactBody().toBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(p.predict().effectiveThreads()).isGreaterThanOrEqualTo(1);
        assertThat(p.nd4j().threads()).isEqualTo(1);
        assertThat(p.startup().trainDefaultModel()).isTrue();
        assertThat(p.store().rescanInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(p.store().isRescanIntervalValid()).isTrue();
    }

    @org.springframework.boot.context.properties.EnableConfigurationProperties(McDropoutProperties.class)
    static class PropertiesOnly {
    }

    @Test
    void anApplicationWithATooShortRescanIntervalDoesNotStartAndSaysWhy() {
        new org.springframework.boot.test.context.runner.ApplicationContextRunner()
                .withUserConfiguration(PropertiesOnly.class)
                .withPropertyValues("mcdropout.store.rescan-interval=50ms")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).hasStackTraceContaining("rescan-interval must be 0 (off) or between 100ms and 1h");
                });
        new org.springframework.boot.test.context.runner.ApplicationContextRunner()
                .withUserConfiguration(PropertiesOnly.class)
                .withPropertyValues("mcdropout.store.rescan-interval=250ms")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void theRescanIntervalIsOffOrBetween100MillisecondsAndAnHour() {
        for (String ok : new String[] {"0", "100ms", "2s", "1h"}) {
            MapConfigurationPropertySource source = new MapConfigurationPropertySource();
            source.put("mcdropout.store.rescan-interval", ok);
            assertThat(new Binder(source).bindOrCreate("mcdropout", McDropoutProperties.class).store()
                    .isRescanIntervalValid()).as(ok).isTrue();
        }
        for (String bad : new String[] {"99ms", "2h", "-1s"}) {
            MapConfigurationPropertySource source = new MapConfigurationPropertySource();
            source.put("mcdropout.store.rescan-interval", bad);
            assertThat(new Binder(source).bindOrCreate("mcdropout", McDropoutProperties.class).store()
                    .isRescanIntervalValid()).as(bad).isFalse();
        }
    }

    @Test
    void kebabCasePropertiesBind() {
        MapConfigurationPropertySource source = new MapConfigurationPropertySource();
        source.put("mcdropout.limits.max-row-samples", "42");
        source.put("mcdropout.limits.max-artifact-body", "3MB");
        source.put("mcdropout.security.api-key", "k");
        McDropoutProperties p = new Binder(source).bindOrCreate("mcdropout", McDropoutProperties.class);
        assertThat(p.limits().maxRowSamples()).isEqualTo(42);
        assertThat(p.limits().maxArtifactBody().toBytes()).isEqualTo(3L * 1024 * 1024);
        assertThat(p.security().hasApiKey()).isTrue();
    }
}
