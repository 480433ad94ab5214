package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Every request has an id: the client's X-Request-Id when it is sane, else a new UUID. It is echoed in the
 * response header, named in problem bodies, and written on the log lines the request causes.
 */
@ExtendWith(OutputCaptureExtension.class)
class RequestIdTest extends ServiceTestSupport {

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
