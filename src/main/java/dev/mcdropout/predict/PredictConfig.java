package dev.mcdropout.predict;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.system.McDropoutProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.http.converter.HttpMessageConverters;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class PredictConfig implements WebMvcConfigurer {

    private final JsonMapper json;

    PredictConfig(JsonMapper json) {
        this.json = json;
    }

    /** The engine's bounded pool: all Monte Carlo work of all requests shares these threads. Closed at shutdown. */
    @Bean(destroyMethod = "close")
    @DependsOn("nd4jThreads")
    MonteCarloPredictor monteCarloPredictor(McDropoutProperties properties) {
        return new MonteCarloPredictor(properties.predict().effectiveThreads());
    }

    /** Answers of POST /predict written without bean serialization; ahead of the JSON default, which it matches. */
    @Override
    public void configureMessageConverters(HttpMessageConverters.ServerBuilder converters) {
        converters.addCustomConverter(new PredictResponseConverter(json));
    }
}
