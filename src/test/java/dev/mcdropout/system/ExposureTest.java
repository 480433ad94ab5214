package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What the service shows to whom. Health details (model versions, start-up progress, the messages of failing
 * indicators) and artifact downloads (the weights) are for holders of the API key; probes get their status
 * and code without it.
 */
class ExposureTest extends ServiceTestSupport {

    @Test
    void healthDetailsAreForKeyHoldersWhileProbesStillAnswer() throws Exception {
        for (String probe : new String[] {"/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness"}) {
            HttpResponse<String> anonymous = management(probe);
            assertThat(anonymous.statusCode()).as(probe).isEqualTo(200);
            assertThat(json(anonymous).get("status").asString()).isEqualTo("UP");
            assertThat(json(anonymous).has("components")).as(probe + ": " + anonymous.body()).isFalse();
        }
        HttpResponse<String> wrongKey = send(managementRequest("/actuator/health/readiness").header("X-API-Key", "guess").GET());
        assertThat(json(wrongKey).has("components")).isFalse();

        JsonNode withKey = json(send(withKey(managementRequest("/actuator/health/readiness")).GET()));
        assertThat(withKey.get("components").get("models").get("details").get("active").get("digits").asInt())
                .isEqualTo(1);
    }

    @Test
    void artifactsAreForKeyHolders() throws Exception {
        HttpResponse<String> anonymous = get("/models/digits/versions/1/artifact");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(json(anonymous).get("type").asString()).isEqualTo(Problems.DEFAULT_TYPE_BASE + "api-key-missing");
        HttpResponse<String> wrong = send(request("/models/digits/versions/1/artifact").header("X-API-Key", "guess").GET());
        assertThat(wrong.statusCode()).isEqualTo(403);
        HttpResponse<byte[]> zip = http.send(withKey(request("/models/digits/versions/1/artifact")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        assertThat(zip.body()[0]).isEqualTo((byte) 'P');
    }

    /** A request line Tomcat rejects before Spring sees it is answered by the valve, as a problem too. */
    @Test
    void tomcatsOwnRejectionsAreProblemsWithTheTypeBase() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write("GET /models/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .contains("\"type\":\"" + Problems.DEFAULT_TYPE_BASE + "bad-request\"");
        }
    }
}
