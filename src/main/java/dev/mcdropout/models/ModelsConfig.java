package dev.mcdropout.models;

import dev.mcdropout.system.BodyLimitRule;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.McDropoutProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

@Configuration(proxyBeanMethods = false)
class ModelsConfig {

    @Bean
    ModelStore modelStore(McDropoutProperties properties) {
        return new ModelStore(properties.store().dir(), properties.store().staleTempAge());
    }

    @Bean
    ArtifactCodec artifactCodec(McDropoutProperties properties) {
        return new ArtifactCodec(properties.limits().maxArtifactBody().toBytes());
    }

    @Bean
    @DependsOn("nd4jThreads")
    ModelRegistry modelRegistry(ModelStore store, ArtifactCodec codec, McDropoutMetrics metrics,
                                McDropoutProperties properties) {
        return new ModelRegistry(store, codec, metrics, properties.predict().maxConcurrentLoads(),
                properties.predict().queueTimeout());
    }

    /** Artifact uploads may be larger than prediction bodies. */
    @Bean
    BodyLimitRule artifactUploadLimit(McDropoutProperties properties) {
        return BodyLimitRule.of("POST", "/models/{name}/versions", properties.limits().maxArtifactBody(),
                "max-artifact-body");
    }
}
