package dev.mcdropout.training;

import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.BodyLimitRule;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.system.EvaluationProperties;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration(proxyBeanMethods = false)
class TrainingConfiguration implements WebMvcConfigurer {

    private final ObjectProvider<TrainingJobService> jobs;
    private final TrainingProperties properties;

    TrainingConfiguration(ObjectProvider<TrainingJobService> jobs, TrainingProperties properties) {
        this.jobs = jobs;
        this.properties = properties;
    }

    /** The queue's 429 before a training body is read; after the API key check (order 0 > its order). */
    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new TrainingAdmissionInterceptor(jobs.getObject(), properties))
                .addPathPatterns("/train", "/train/csv").order(0);
    }

    @Bean
    TrainingJobService trainingJobService(ModelRegistry registry, TrainingProperties properties,
                                          TrainingMetrics metrics, Evaluator evaluator,
                                          EvaluationProperties evaluation, McDropoutProperties service) {
        TrainingJobService jobs = new TrainingJobService(registry, properties, metrics, evaluator, evaluation,
                Clock.systemUTC());
        jobs.problemTypeBase(service.problems().typeBase());
        return jobs;
    }

    @Bean
    TrainingLimits trainingLimits(McDropoutProperties properties) {
        return TrainingLimits.of(properties.limits());
    }

    static {
        // A data set's features are read by a bounded parser into ParsedRows, and are the array of rows the API
        // documents (TrainRequest, EvaluateRequest, the sweep's request).
        org.springdoc.core.utils.SpringDocUtils.getConfig().replaceWithClass(ParsedRows.class, double[][].class);
    }

    @Bean
    org.springdoc.core.customizers.OpenApiCustomizer datasetFeaturesDocs() {
        return ParsedRows.documented("TrainingDataset", "Rows of finite numbers, all of the same length",
                java.util.List.of(java.util.List.of(14.23, 1.71, 2.43), java.util.List.of(13.2, 1.78, 2.14),
                        java.util.List.of(12.37, 0.94, 1.36)));
    }

    /**
     * What the bounded parser of data sets in JSON bodies keeps ({@link ParsedRows}, {@link ParsedLabels}): rows up
     * to the largest row limit a body is checked against (training's and evaluation's), numbers per row up to the
     * training feature limit or the widest model input, whichever is larger. More is counted, never kept.
     */
    @Bean
    JsonMapperBuilderCustomizer datasetParseCaps(TrainingLimits limits,
                                                 dev.mcdropout.system.EvaluationProperties evaluation) {
        ParsedRows.Caps caps = new ParsedRows.Caps(Math.max(limits.maxTrainingRows(), evaluation.maxRows()),
                Math.max(limits.maxTrainingFeatures(), dev.mcdropout.nn.artifact.ArtifactLimits.DEFAULTS.maxUnits()));
        return builder -> builder.defaultAttributes(
                builder.defaultAttributes().withSharedAttribute(ParsedRows.Caps.class, caps));
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
