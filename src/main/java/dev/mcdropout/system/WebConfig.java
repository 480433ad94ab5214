package dev.mcdropout.system;

import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.Container;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** MVC and Tomcat settings that make the API strict and its errors uniform (JSON typing: {@link JsonConfig}). */
@Configuration(proxyBeanMethods = false)
public class WebConfig implements WebMvcConfigurer {

    private final ApiKeyInterceptor apiKeyInterceptor;
    private final McDropoutProperties properties;

    public WebConfig(ApiKeyInterceptor apiKeyInterceptor, McDropoutProperties properties) {
        this.apiKeyInterceptor = apiKeyInterceptor;
        this.properties = properties;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        // first: a request without the key learns nothing else (a training queue's 429, say)
        registry.addInterceptor(apiKeyInterceptor).order(Ordered.HIGHEST_PRECEDENCE);
    }

    /**
     * Tomcat rejects an encoded slash ({@code %2F}) in the path with a bare 400 page before any of our code
     * runs; passing it through lets the name validation answer with a problem that names the bad name. The
     * decoded value is only ever matched against the model-name pattern, never used as a path.
     */
    @Bean
    TomcatConnectorCustomizer encodedSlashPassthrough() {
        return connector -> connector.setEncodedSolidusHandling("passthrough");
    }

    /**
     * Errors Tomcat raises before a request reaches the application (bad URIs) are problems too. The host adds
     * an error report valve of the named class only when its pipeline has none, so ours, configured with the
     * problem type base, is the one used.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        String typeBase = properties.problems().typeBase();
        return factory -> factory.addContextCustomizers(context -> {
            Container parent = context.getParent();
            if (parent instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                host.getPipeline().addValve(new ProblemErrorReportValve(typeBase));
            }
        });
    }

    /**
     * Multipart limits are {@code mcdropout.limits.max-training-body}, the limit of every endpoint that takes a
     * form. Tomcat parses a form from its own stream, past {@link BodySizeLimitFilter}'s counting wrapper, so a
     * chunked form is bounded only here; without this bean Spring Boot's defaults apply (1 MB a file, 10 MB a
     * request), which refuse a CSV the limit allows and accept one it does not. Declaring the bean replaces
     * Boot's ({@code spring.servlet.multipart.resolve-lazily} still applies to the resolver).
     */
    @Bean
    MultipartConfigElement multipartConfigElement() {
        long max = properties.limits().maxTrainingBody().toBytes();
        return new MultipartConfigElement("", max, max, 0);
    }

    /** Hands Tomcat's own request to {@link ClientConnection}, which asks it whether the client is still there. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> clientConnectionValve() {
        return factory -> factory.addContextValves(new ValveBase(true) {
            @Override
            public void invoke(Request request, Response response) throws IOException, ServletException {
                request.setAttribute(ClientConnection.COYOTE_REQUEST, request.getCoyoteRequest());
                getNext().invoke(request, response);
            }
        });
    }
}
