package dev.mcdropout.predict;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.system.McDropoutProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

@Configuration(proxyBeanMethods = false)
class PredictConfig {

    /** The engine's bounded pool: all Monte Carlo work of all requests shares these threads. Closed at shutdown. */
    @Bean(destroyMethod = "close")
    @DependsOn("nd4jThreads")
    MonteCarloPredictor monteCarloPredictor(McDropoutProperties properties) {
        return new MonteCarloPredictor(properties.predict().effectiveThreads());
    }
}
