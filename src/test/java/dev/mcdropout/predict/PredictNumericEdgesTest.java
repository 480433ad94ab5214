package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.models.TestArtifacts;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NetworkSpec;
import dev.mcdropout.nn.Standardization;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import tools.jackson.databind.JsonNode;

/** Numbers the engine cannot compute with are refused with a problem; a NaN is never served. */
class PredictNumericEdgesTest extends ServiceTestSupport {

    private static final List<String> ABC = List.of("a", "b", "c");

    private HttpResponse<String> importZip(String name, byte[] zip) throws Exception {
        return send(withKey(request("/models/" + name + "/versions")).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    @Test
    void aValueThatOverflowsTheModelsFloatsIsA400NamingTheCell() throws Exception {
        String body = digitsBody(0, 2).replaceFirst("\\[\\[(\\d+),(\\d+),(\\d+),(\\d+),", "[[$1,$2,$3,1e300,");
        HttpResponse<String> response = postJson("/predict?mcSamples=20&seed=1", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = json(response);
        assertThat(problem.get("type").asString()).endsWith("/invalid-number");
        assertThat(problem.get("detail").asString()).contains("instances[0][3]").contains("send values within");
    }

    @Test
    void aModelWhoseActivationsOverflowAnswersA500ProblemNeverANaN() throws Exception {
        Network network = TestArtifacts.network(4, 8, ABC, 11);
        List<Layer> huge = new ArrayList<>();
        for (Layer layer : network.layers()) {
            huge.add(new Layer(layer.weights().mul(1e30), layer.bias(), layer.activation(), layer.dropout()));
        }
        Network overflowing = new Network(huge, 0.0, network.standardization(), network.classes());
        HttpResponse<String> created = importZip("overflowing", TestArtifacts.zip(overflowing));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        int version = json(created).get("version").asInt();
        for (String samples : new String[] {"", "&mcSamples=30"}) {
            HttpResponse<String> response = postJson("/predict?seed=3&model=overflowing:" + version + samples,
                    "{\"instances\": [[1, 2, 3, 4], [0.5, -1, 2, 0]]}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(json(response).get("type").asString()).endsWith("/non-finite-result");
            assertThat(json(response).get("detail").asString()).contains("overflowing").contains("NaN or infinite");
        }
    }

    @Test
    void anArtifactWhoseStdReciprocalOverflowsFloat32IsRefusedAtImport() throws Exception {
        // Written from a float64 network (where 1/std is fine); the service serves float32, where it is not.
        double[] std = new double[4];
        Arrays.fill(std, 1.0);
        std[2] = 1e-39;
        Network network = Network.initialize(NetworkSpec.of(4, List.of(8), 3, 0.3), ABC,
                new Standardization(new double[4], std), DataType.DOUBLE, 5L);
        HttpResponse<String> response = importZip("tinystd", TestArtifacts.zip(network));
        assertThat(response.statusCode()).as(response.body()).isBetween(400, 499);
        assertThat(json(response).get("detail").asString()).contains("feature 2").contains("overflows float32");
        assertThat(get("/models/tinystd/versions/1").statusCode()).isEqualTo(404);
    }
}
