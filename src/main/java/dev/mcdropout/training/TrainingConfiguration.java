package dev.mcdropout.training;

import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.BodyLimitRule;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.system.EvaluationProperties;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class TrainingConfiguration {

    @Bean
    TrainingJobService trainingJobService(ModelRegistry registry, TrainingProperties properties,
                                          TrainingMetrics metrics, Evaluator evaluator,
                                          EvaluationProperties evaluation) {
        return new TrainingJobService(registry, properties, metrics, evaluator, evaluation, Clock.systemUTC());
    }

    @Bean
    TrainingLimits trainingLimits(McDropoutProperties properties) {
        return TrainingLimits.of(properties.limits());
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

    /** The CSV form at its own address, POST /train/csv, has the same limit. */
    @Bean
    BodyLimitRule trainingCsvUploadLimit(TrainingLimits limits) {
        return BodyLimitRule.of("POST", "/train/csv", limits.maxTrainingBody(), "max-training-body");
    }
}
