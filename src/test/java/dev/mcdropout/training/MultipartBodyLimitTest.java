package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A multipart form is limited by {@code mcdropout.limits.max-training-body}, whatever that is set to, not by
 * Spring Boot's own multipart defaults (1 MB a file, 10 MB a request): Tomcat parses a form from its own
 * stream, past the service's counting filter, so the limit has to be Tomcat's multipart configuration. A CSV
 * under the limit but over 1 MB is read; one over the limit gets the 413 that names it, even when it arrives
 * chunked; and a limit under 1 MB holds for a form too.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
        "mcdropout.security.api-key=" + TrainingTestSupport.API_KEY,
        "mcdropout.limits.max-training-body=3MB",
})
class MultipartBodyLimitTest extends TrainingTestSupport {

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @Test
    void aCsvFormUnderTheTrainingBodyLimitIsReadEvenWhenItIsLargerThanOneMegabyte() throws Exception {
        // 2 MB: over Boot's default max-file-size, under the 3 MiB limit. Its label column does not exist, so
        // the service answers once it has read the whole form, without training.
        HttpResponse<String> r = postChunked(port, form(2_000_000));
        assertThat(r.statusCode()).as(r.body()).isNotEqualTo(413).isBetween(400, 499);
        assertThat(json(r).get("detail").asString()).as(r.body()).contains("nosuch");
    }

    @Test
    void aChunkedCsvFormOverTheTrainingBodyLimitIs413NamingIt() throws Exception {
        HttpResponse<String> r = postChunked(port, form(4_000_000));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(r).get("errors").get(0).asString()).isEqualTo("mcdropout.limits.max-training-body");
        assertThat(json(r).get("detail").asString()).contains("3 MiB");
    }

    @Test
    void aTrainingBodyLimitUnderOneMegabyteHoldsForAChunkedForm(@TempDir Path otherStore) throws Exception {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(McDropoutApplication.class).run(
                "--server.port=0", "--management.server.port=0", "--spring.jmx.enabled=false",
                "--mcdropout.store.dir=" + otherStore, "--mcdropout.startup.train-default-model=false",
                "--mcdropout.security.api-key=" + API_KEY, "--mcdropout.limits.max-training-body=256KB")) {
            int otherPort = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            HttpResponse<String> r = postChunked(otherPort, form(600_000));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
            assertThat(json(r).get("errors").get(0).asString()).isEqualTo("mcdropout.limits.max-training-body");
            assertThat(json(r).get("detail").asString()).contains("256 KiB");
        }
    }

    /** A CSV form of about {@code bytes} bytes whose label column, "nosuch", is not in the file. */
    private static Multipart form(int bytes) {
        StringBuilder csv = new StringBuilder("x1,x2,label\n");
        while (csv.length() < bytes) {
            csv.append("1.0,2.0,a\n3.0,4.0,b\n");
        }
        return new Multipart().field("name", "big").field("labelColumn", "nosuch")
                .file("data", "big.csv", "text/csv", csv.toString());
    }

    /** Sent without a Content-Length (an input stream of unknown length), so only the parse can count it. */
    private HttpResponse<String> postChunked(int serverPort, Multipart form) throws Exception {
        byte[] body = form.bytes();
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + serverPort + "/train/csv"))
                .header("Content-Type", form.contentType()).header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
