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
