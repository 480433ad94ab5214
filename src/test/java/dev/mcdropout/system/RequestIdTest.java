package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Every request has an id: the client's X-Request-Id when it is sane, else a new UUID. It is echoed in the
 * response header, named in problem bodies, and written on the log lines the request causes.
 */
@ExtendWith(OutputCaptureExtension.class)
class RequestIdTest extends ServiceTestSupport {

    @Autowired
    private InFlightRequests inFlight;

    @Test
    void aRequestIsCountedInFlightOnceUntilItIsAnsweredErrorsIncluded() throws Exception {
        // Answered requests of every kind, errors (and their error dispatch) included, leave the count as it was.
        assertThat(send(request("/predict?mcSamples=-1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(digitsBody(0, 1)))).statusCode()).isEqualTo(400);
        assertThat(get("/models/no-such-model/versions/1").statusCode()).isEqualTo(404);
        assertThat(get("/models").statusCode()).isEqualTo(200);
        awaitInFlight(0);

        // A request whose body is still arriving is in flight, once (raw socket: the body comes in two parts).
        byte[] body = digitsBody(0, 1).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /predict?mcSamples=5&seed=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();
            awaitInFlight(1);
            out.write(body, 10, body.length - 10);
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(status).startsWith("HTTP/1.1 200");
        }
        awaitInFlight(0);
    }

    private void awaitInFlight(int expected) throws InterruptedException {
        // The count drops when the filter returns, just after the client has the answer.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (inFlight.current() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(inFlight.current()).as("requests in flight").isEqualTo(expected);
    }

    @Test
    void aSaneClientIdIsEchoedAndNamedInTheProblemBody() throws Exception {
        HttpResponse<String> answer = send(request("/predict?mcSamples=-1").header("Content-Type", "application/json")
                .header("X-Request-Id", "client-trace.42:a_b-c").POST(HttpRequest.BodyPublishers.ofString(digitsBody(0, 1))));
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.headers().firstValue("X-Request-Id")).hasValue("client-trace.42:a_b-c");
        assertThat(json(answer).get("requestId").asString()).isEqualTo("client-trace.42:a_b-c");
    }

    @Test
    void withoutOrWithAnInsaneIdTheServiceMakesOne() throws Exception {
        String uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
        HttpResponse<String> none = get("/models/no-such-model/versions/1");
        assertThat(none.statusCode()).isEqualTo(404);
        String id = none.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).matches(uuid);
        assertThat(json(none).get("requestId").asString()).isEqualTo(id);

        for (String insane : new String[] {"has space", "x".repeat(65), "semi;colon", "quote\"d", "ünïcode"}) {
            HttpResponse<String> r = send(request("/models").header("X-Request-Id", insane).GET());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Request-Id")).hasValueSatisfying(v -> assertThat(v).matches(uuid));
        }
        // Successful answers carry it too, and two requests get two ids.
        assertThat(get("/models").headers().firstValue("X-Request-Id"))
                .isNotEqualTo(get("/models").headers().firstValue("X-Request-Id"));
    }

    @Test
    void theLogLinesARequestCausesNameIt(CapturedOutput output) throws Exception {
        byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 8, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), 5));
        HttpResponse<String> imported = send(withKey(request("/models/request-id-model/versions"))
                .header("Content-Type", "application/zip").header("X-Request-Id", "import-7f3a")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
        assertThat(output.getOut().lines().filter(l -> l.contains("imported model request-id-model version 1")))
                .singleElement().asString().contains("[import-7f3a]");
    }
}
