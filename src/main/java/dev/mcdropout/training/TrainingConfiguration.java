package dev.mcdropout.training;

import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.system.BodyLimitRule;
import java.time.Clock;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

@Configuration(proxyBeanMethods = false)
class TrainingConfiguration {

    @Bean
    TrainingJobService trainingJobService(ModelRegistry registry, TrainingProperties properties,
                                          TrainingMetrics metrics) {
        return new TrainingJobService(registry, properties, metrics, Clock.systemUTC());
    }

    @Bean
    TrainingRequests trainingRequests(TrainingLimits limits) {
        return new TrainingRequests(limits);
    }

    @Bean
    CsvDatasetReader csvDatasetReader(TrainingLimits limits) {
        return new CsvDatasetReader(limits);
    }

    /** Training uploads (JSON or multipart) may be far larger than prediction bodies. */
    @Bean
    BodyLimitRule trainingUploadLimit(TrainingLimits limits) {
        return BodyLimitRule.of("POST", "/train", limits.maxTrainingBody(), "max-training-body");
    }

    /**
     * Completes the strict typing that {@code WebConfig.strictNumbers} starts: {@code "epochs": 10.5} must not
     * become 10, {@code "activate": 1} not true, and {@code "name": 5} or {@code "labels": [0, 1]} not strings.
     * A parameter of the wrong type is a 400, never a silent conversion.
     */
    @Bean
    JsonMapperBuilderCustomizer strictScalarTypes() {
        return builder -> {
            builder.withCoercionConfig(LogicalType.Integer,
                    config -> config.setCoercion(CoercionInputShape.Float, CoercionAction.Fail));
            builder.withCoercionConfig(LogicalType.Boolean,
                    config -> config.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail));
            builder.withCoercionConfig(LogicalType.Textual, config -> {
                config.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
            });
        };
    }
}
