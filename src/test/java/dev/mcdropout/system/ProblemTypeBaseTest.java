package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code mcdropout.problems.type-base} names every problem type, whichever layer answers: Spring MVC's advice,
 * the body-size filter (before MVC), Tomcat's error valve (before the application) and the error page.
 */
class ProblemTypeBaseTest {

    private static final String BASE = "https://docs.example.com/mcdropout/errors#";

    @Test
    void everyLayerWritesTheConfiguredTypeBase(@TempDir Path store) throws Exception {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(McDropoutApplication.class).run(
                "--server.port=0", "--spring.jmx.enabled=false", "--mcdropout.store.dir=" + store,
                "--mcdropout.startup.train-default-model=false", "--mcdropout.limits.max-predict-body=1KB",
                "--mcdropout.problems.type-base=" + BASE)) {
            int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            HttpClient http = HttpClient.newHttpClient();
            JsonMapper json = JsonMapper.builder().build();

            HttpResponse<String> notFound = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/models/nosuch/versions/1")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json.readTree(notFound.body()).get("type").asString()).isEqualTo(BASE + "unknown-model");

            HttpResponse<String> tooLarge = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                            + "/predict")).header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[[" + "0,".repeat(1000) + "0]]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(json.readTree(tooLarge.body()).get("type").asString()).isEqualTo(BASE + "limit-exceeded");

            HttpResponse<String> errorPage = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/error")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json.readTree(errorPage.body()).get("type").asString()).isEqualTo(BASE + "not-found");

            try (Socket socket = new Socket("127.0.0.1", port)) {
                OutputStream out = socket.getOutputStream();
                out.write("GET /models/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).contains("\"type\":\"" + BASE + "bad-request\"");
            }
        }
    }
}
