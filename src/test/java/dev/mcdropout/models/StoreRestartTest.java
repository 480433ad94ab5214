package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.McDropoutApplication;
import dev.mcdropout.ServiceTestSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/** Whole applications started and stopped on a store directory, as an operator would. */
class StoreRestartTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private static ConfigurableApplicationContext start(Path store, String... extra) {
        // Command-line arguments, like an operator's: they override application.yml (default properties would not).
        String[] args = new String[extra.length + 4];
        args[0] = "--server.port=0";
        args[1] = "--mcdropout.store.dir=" + store;
        args[2] = "--spring.jmx.enabled=false";
        args[3] = "--management.server.port=0";
        for (int i = 0; i < extra.length; i++) {
            args[i + 4] = "--" + extra[i];
        }
        return new SpringApplicationBuilder(McDropoutApplication.class).run(args);
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    private static int managementPort(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.management.port"));
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        // with the key the tests set ("k"): health details are for key holders
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("X-API-Key", "k").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> predict(int port) throws Exception {
        String body = "{\"instances\":[[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,"
                + "0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]]}";
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/predict?mcSamples=50&seed=11"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void firstStartTrainsTheDefaultModelAndARestartLoadsItInsteadOfTrainingAgain(@TempDir Path store) throws Exception {
        String firstAnswer;
        String firstMetadata;
        try (ConfigurableApplicationContext first = start(store)) {
            int port = port(first);
            ServiceTestSupport.awaitReady(port);
            JsonNode models = ServiceTestSupport.JSON.readTree(get(port, "/models").body());
            assertThat(models).hasSize(1);
            assertThat(models.get(0).get("name").asString()).isEqualTo("digits");
            assertThat(models.get(0).get("activeVersion").asInt()).isEqualTo(1);
            assertThat(Files.exists(store.resolve("digits/1.zip"))).isTrue();
            assertThat(Files.readString(store.resolve("digits/active")).trim()).isEqualTo("1");
            HttpResponse<String> answer = predict(port);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            firstAnswer = answer.body();
            firstMetadata = get(port, "/models/digits/versions/1").body();
        }
        // A crash mid-write leaves a temp file behind; the next start must ignore it and, once it is older than
        // mcdropout.store.stale-temp-age, remove it (a younger one may be another replica's upload in progress,
        // and stays, unlisted). A crash between storing a first version and activating it leaves no active
        // pointer; the next start must still serve the model.
        Path leftover = store.resolve("digits/.tmp-crashed.part");
        Files.writeString(leftover, "half a zip");
        Files.setLastModifiedTime(leftover, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
        Path young = store.resolve("digits/.tmp-uploading.part");
        Files.writeString(young, "an upload still arriving");
        Files.delete(store.resolve("digits/active"));

        try (ConfigurableApplicationContext second = start(store)) {
            int port = port(second);
            ServiceTestSupport.awaitReady(port);
            JsonNode models = ServiceTestSupport.JSON.readTree(get(port, "/models").body());
            assertThat(models.get(0).get("versions")).hasSize(1);
            assertThat(get(port, "/models/digits/versions/1").body()).isEqualTo(firstMetadata);
            assertThat(predict(port).body()).isEqualTo(firstAnswer);
            assertThat(Files.exists(leftover)).isFalse();
            assertThat(Files.exists(young)).isTrue();
            assertThat(Files.readString(store.resolve("digits/active")).trim()).isEqualTo("1");
        }
    }

    @Test
    void readinessIsDownUntilAModelIsActiveWhileLivenessIsUp(@TempDir Path store) throws Exception {
        try (ConfigurableApplicationContext app = start(store, "mcdropout.startup.train-default-model=false",
                "mcdropout.security.api-key=k")) {
            int port = port(app);
            int management = managementPort(app);
            HttpResponse<String> readiness = get(management, "/actuator/health/readiness");
            assertThat(readiness.statusCode()).isEqualTo(503);
            assertThat(readiness.body()).contains("\"models\"").contains("DOWN");
            assertThat(get(management, "/actuator/health/liveness").statusCode()).isEqualTo(200);
            HttpResponse<String> noModel = predict(port);
            assertThat(noModel.statusCode()).isEqualTo(404);
            assertThat(noModel.headers().firstValue("Content-Type")).hasValue("application/problem+json");

            byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 16, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), 3));
            HttpResponse<String> imported = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                            + "/models/digits/versions")).header("Content-Type", "application/zip").header("X-API-Key", "k")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
            assertThat(get(management, "/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(predict(port).statusCode()).isEqualTo(200);
        }
    }
}
