package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * An import whose client uploads slowly holds no lock while its bytes trickle in: activating and deleting
 * versions of the same model answer at once, and the upload, once complete, still becomes the next version.
 */
class SlowUploadTest extends ServiceTestSupport {

    private static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    @Test
    void activateAndDeleteAreNotBlockedByASlowUploadOfTheSameModel() throws Exception {
        String name = "slow-upload";
        assertThat(importZip(name, TestArtifacts.zip(TestArtifacts.network(64, 8, CLASSES, 1))).statusCode()).isEqualTo(201);
        assertThat(importZip(name, TestArtifacts.zip(TestArtifacts.network(64, 8, CLASSES, 2))).statusCode()).isEqualTo(201);
        assertThat(importZip(name, TestArtifacts.zip(TestArtifacts.network(64, 8, CLASSES, 3))).statusCode()).isEqualTo(201);

        byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 8, CLASSES, 4));
        try (Socket upload = new Socket("localhost", port)) {
            OutputStream out = upload.getOutputStream();
            out.write(("POST /models/" + name + "/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/zip\r\n"
                    + "X-API-Key: " + API_KEY + "\r\nContent-Length: " + zip.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(zip, 0, zip.length / 2);
            out.flush();
            // The service is inside the import, copying the body, once its temp file exists.
            awaitTempFile(store().resolve(name));

            HttpResponse<String> activated = send(withKey(request("/models/" + name + "/versions/2/activate"))
                    .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
            HttpResponse<String> deleted = send(withKey(request("/models/" + name + "/versions/1"))
                    .timeout(Duration.ofSeconds(10)).DELETE());
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);

            out.write(zip, zip.length / 2, zip.length - zip.length / 2);
            out.flush();
            String answer = readAll(upload.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 201").contains("\"version\":4");
        }
        assertThat(json(get("/models/" + name + "/versions/2")).get("active").asBoolean()).isTrue();
        assertThat(get("/models/" + name + "/versions/1").statusCode()).isEqualTo(404);
    }

    /**
     * A replica that starts on the shared store while another replica's upload is arriving leaves that upload's
     * temp file alone (and removes a crashed writer's stale one): the upload, once complete, becomes a version.
     */
    @Test
    void aReplicaStartingOnTheSharedStoreLeavesAnotherReplicasUploadInProgressAlone() throws Exception {
        String name = "upload-during-start";
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 8, CLASSES, 5));
        Path dir = Files.createDirectories(store().resolve(name));
        Path crashed = dir.resolve(".tmp-left-by-a-crash.part");
        Files.writeString(crashed, "half written before a kill -9");
        Files.setLastModifiedTime(crashed, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
        try (Socket upload = new Socket("localhost", port)) {
            OutputStream out = upload.getOutputStream();
            out.write(("POST /models/" + name + "/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/zip\r\n"
                    + "X-API-Key: " + API_KEY + "\r\nContent-Length: " + zip.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(zip, 0, zip.length / 2);
            out.flush();
            awaitTempFile(dir, crashed);

            // Replica B starts on the same store (in this JVM; it shares nothing with this server but the directory).
            try (org.springframework.context.ConfigurableApplicationContext replicaB =
                         new org.springframework.boot.builder.SpringApplicationBuilder(dev.mcdropout.McDropoutApplication.class)
                                 .run("--server.port=0", "--management.server.port=0", "--spring.jmx.enabled=false",
                                         "--mcdropout.store.dir=" + store(), "--mcdropout.security.api-key=" + API_KEY,
                                         "--mcdropout.startup.train-default-model=false",
                                         "--mcdropout.store.rescan-interval=0")) {
                assertThat(replicaB.isRunning()).isTrue();
            }
            assertThat(Files.exists(crashed)).as("a crashed writer's stale temp file").isFalse();

            out.write(zip, zip.length / 2, zip.length - zip.length / 2);
            out.flush();
            String answer = readAll(upload.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 201").contains("\"version\":1");
        }
        assertThat(get("/models/" + name + "/versions/1").statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> importZip(String name, byte[] zip) throws Exception {
        return send(withKey(request("/models/" + name + "/versions")).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    private static void awaitTempFile(Path dir, Path... besides) throws Exception {
        List<Path> others = List.of(besides);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (Stream<Path> files = Files.list(dir)) {
                if (files.anyMatch(f -> f.getFileName().toString().startsWith(".tmp-") && !others.contains(f))) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the upload never reached the store");
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
