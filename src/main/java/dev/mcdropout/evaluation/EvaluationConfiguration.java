package dev.mcdropout.evaluation;

import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.BodyLimitRule;
import dev.mcdropout.system.ClientDisconnects;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.EvaluationProperties;
import dev.mcdropout.training.TrainingLimits;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Value;
import dev.mcdropout.system.McDropoutProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class EvaluationConfiguration {

    /** Shared by evaluations, training jobs' validation reports and sweeps: all use the predictor's bounded pool. */
    @Bean
    Evaluator evaluator(MonteCarloPredictor predictor, EvaluationProperties properties) {
        return new Evaluator(predictor, properties.curvePoints());
    }

    @Bean
    EvaluationService evaluationService(ModelRegistry registry, Evaluator evaluator, EvaluationProperties properties,
                                        ClientDisconnects disconnects, McDropoutMetrics metrics) {
        return new EvaluationService(registry, evaluator, properties, Clock.systemUTC(), disconnects, metrics);
    }

    @Bean
    ExperimentService experimentService(ModelRegistry registry, Evaluator evaluator, ExperimentProperties properties,
                                        @Value("${mcdropout.training.nice:10}") int nice,
                                        McDropoutProperties service) {
        ExperimentService experiments = new ExperimentService(registry, evaluator, properties, nice, Clock.systemUTC());
        experiments.problemTypeBase(service.problems().typeBase());
        return experiments;
    }

    @Bean
    org.springdoc.core.customizers.OpenApiCustomizer outOfDistributionFeaturesDocs() {
        return dev.mcdropout.training.ParsedRows.documented("OutOfDistribution",
                "Rows of finite numbers, as many per row as the model has inputs", null);
    }

    /** Evaluation and sweep bodies carry data sets, as training uploads do. */
    @Bean
    BodyLimitRule evaluationUploadLimit(TrainingLimits limits) {
        return BodyLimitRule.of("POST", "/models/{name}/versions/{version}/evaluate", limits.maxTrainingBody(),
                "max-training-body");
    }

    @Bean
    BodyLimitRule sweepUploadLimit(TrainingLimits limits) {
        return BodyLimitRule.of("POST", "/experiments/dropout-sweep", limits.maxTrainingBody(), "max-training-body");
    }
}
