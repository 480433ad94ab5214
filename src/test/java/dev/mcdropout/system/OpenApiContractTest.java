package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ServiceTestSupport;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The committed OpenAPI snapshot, from which the build generates the Java client that
 * {@code dev.mcdropout.client.GeneratedClientTest} uses, must be the document the service really serves.
 * When the API changes on purpose, refresh the snapshot with
 * {@code ./mvnw test -Dtest=OpenApiContractTest -Dopenapi.snapshot.update=true} and commit it.
 */
class OpenApiContractTest extends ServiceTestSupport {

    /** Relative to the project directory, where surefire runs the tests. */
    static final Path SNAPSHOT = Path.of("src", "test", "resources", "openapi", "mc-dropout-service.json");
    static final String UPDATE_PROPERTY = "openapi.snapshot.update";
    /** The random test port is replaced by the port the service listens on by default. */
    static final String SNAPSHOT_SERVER = "http://localhost:8080";

    private static final JsonMapper PRETTY = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    @Test
    void servedOpenApiDocumentEqualsTheCommittedSnapshot() throws Exception {
        HttpResponse<String> response = get("/v3/api-docs");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode live = normalized(JSON.readTree(response.body()));

        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.createDirectories(SNAPSHOT.getParent());
            Files.writeString(SNAPSHOT, PRETTY.writeValueAsString(live) + "\n", StandardCharsets.UTF_8);
            return;
        }
        assertThat(SNAPSHOT).as("OpenAPI snapshot %s (create it with %s)", SNAPSHOT.toAbsolutePath(), REFRESH).exists();
        JsonNode committed = JSON.readTree(Files.readString(SNAPSHOT, StandardCharsets.UTF_8));
        List<String> differences = new ArrayList<>();
        diff("", committed, live, differences);
        assertThat(differences).as("""
                The OpenAPI document served at /v3/api-docs differs from the committed snapshot %s, from which \
                the build generates the Java client (JSON pointers below: committed -> served). If the API change \
                is intended, refresh the snapshot with
                  %s
                review the diff and commit it.""", SNAPSHOT, REFRESH).isEmpty();
        assertThat(live).isEqualTo(committed);
    }

    @Test
    void snapshotIsStoredPrettyPrintedWithSortedKeys() throws Exception {
        String text = Files.readString(SNAPSHOT, StandardCharsets.UTF_8);
        JsonNode committed = JSON.readTree(text);
        assertThat(text).as("refresh with " + REFRESH).isEqualTo(PRETTY.writeValueAsString(sorted(committed)) + "\n");
        assertThat(committed.get("servers").get(0).get("url").asString()).isEqualTo(SNAPSHOT_SERVER);
    }

    private static final String REFRESH =
            "./mvnw test -Dtest=OpenApiContractTest -D" + UPDATE_PROPERTY + "=true";

    /** Sorted keys (a stable, reviewable file) and the server URL without the random port. */
    private JsonNode normalized(JsonNode doc) {
        JsonNode copy = sorted(doc);
        if (copy.get("servers") instanceof ArrayNode servers) {
            for (JsonNode server : servers) {
                String url = server.get("url").asString();
                if (url.equals("http://localhost:" + port)) {
                    ((ObjectNode) server).put("url", SNAPSHOT_SERVER);
                }
            }
        }
        return copy;
    }

    /** Where two documents differ, as JSON pointers with both values (at most 20, to keep the message short). */
    private static void diff(String pointer, JsonNode committed, JsonNode live, List<String> out) {
        if (out.size() >= 20 || Objects.equals(committed, live)) {
            return;
        }
        if (committed != null && live != null && committed.isObject() && live.isObject()) {
            Set<String> names = new TreeSet<>(committed.propertyNames());
            names.addAll(live.propertyNames());
            for (String name : names) {
                diff(pointer + "/" + name.replace("~", "~0").replace("/", "~1"), committed.get(name), live.get(name), out);
            }
        } else if (committed != null && live != null && committed.isArray() && live.isArray()
                && committed.size() == live.size()) {
            for (int i = 0; i < committed.size(); i++) {
                diff(pointer + "/" + i, committed.get(i), live.get(i), out);
            }
        } else {
            out.add(pointer + ": " + abbreviated(committed) + " -> " + abbreviated(live));
        }
    }

    private static String abbreviated(JsonNode node) {
        String text = node == null ? "(absent)" : node.toString();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            List<String> names = new ArrayList<>(node.propertyNames());
            names.sort(null);
            for (String name : names) {
                out.set(name, sorted(node.get(name)));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JSON.createArrayNode();
            node.forEach(element -> out.add(sorted(element)));
            return out;
        }
        return node;
    }
}
