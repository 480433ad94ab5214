package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Requests no well-behaved client library would send, written to the socket by hand. Tomcat rejects some
 * before the application sees them; those answers must be problems too, without server details.
 */
class RawHttpRejectionsTest extends ServiceTestSupport {

    private String exchange(String request) throws Exception {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void malformedUrisAreAnsweredWithAProblemAndNoServerDetails() throws Exception {
        for (String target : new String[] {"/models/%zz/versions/1", "/models/../../etc/passwd", "/predict?mcSamples=%"}) {
            String response = exchange("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            String statusLine = response.substring(0, response.indexOf("\r\n"));
            assertThat(statusLine).as(target).matches("HTTP/1\\.1 4\\d\\d.*");
            assertThat(response).as(target).containsIgnoringCase("Content-Type: application/problem+json")
                    .doesNotContain("Apache Tomcat").doesNotContain("Exception");
        }
    }

    /** Reads one response: headers, then exactly Content-Length bytes, without waiting for the connection to end. */
    private String firstResponse(String request) throws Exception {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("response ended inside the headers: " + head).isNotNegative();
                head.append((char) b);
            }
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            assertThat(length.find()).as(head.toString()).isTrue();
            return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aDeclaredBodyOverTheLimitIsRefusedBeforeItArrives() throws Exception {
        String response = firstResponse("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000000\r\nConnection: close\r\n\r\n{\"instances\": [[1,2,3]]}");
        assertThat(response).startsWith("HTTP/1.1 413");
        assertThat(response).contains("application/problem+json").contains("max-predict-body");
    }
}
