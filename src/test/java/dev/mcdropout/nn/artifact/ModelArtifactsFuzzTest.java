package dev.mcdropout.nn.artifact;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import dev.mcdropout.nn.artifact.ArtifactFixtures.Unpacked;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.artifact;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Content that passes the zip's CRCs and the sha256 list but is wrong inside: every JSON value replaced by
 * values of other types and ranges, every byte of an .npy file changed with its hash updated. The reader's
 * own checks, not the checksums, must turn each into an {@link InvalidArtifactException} or a valid model.
 */
class ModelArtifactsFuzzTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final byte[] archive = ModelArtifacts.toBytes(artifact());

    @Test
    void replacingAnyModelJsonValueIsRefusedOrGivesAValidModel() {
        List<JsonPointer> paths = new ArrayList<>();
        collect(new Unpacked(archive).model, JsonPointer.empty(), paths);
        List<JsonNode> replacements = List.of(NODES.nullNode(), NODES.booleanNode(true), NODES.numberNode(0),
                NODES.numberNode(-1), NODES.numberNode(0.999), NODES.numberNode(1e308), NODES.numberNode(3),
                NODES.numberNode(Long.MAX_VALUE), NODES.stringNode(""), NODES.stringNode("layer0.bias.npy"),
                NODES.stringNode("linear"), NODES.arrayNode(), NODES.objectNode());
        int refused = 0;
        int accepted = 0;
        for (JsonPointer path : paths) {
            for (JsonNode replacement : replacements) {
                Unpacked u = new Unpacked(archive);
                JsonNode parent = u.model.at(path.head());
                if (parent instanceof ObjectNode object) {
                    object.set(path.last().getMatchingProperty(), replacement);
                } else {
                    ((ArrayNode) parent).set(path.last().getMatchingIndex(), replacement);
                }
                if (readOrRefuse(u.zip(), path + " := " + replacement)) {
                    accepted++;
                } else {
                    refused++;
                }
            }
            Unpacked removed = new Unpacked(archive);
            JsonNode parent = removed.model.at(path.head());
            if (parent instanceof ObjectNode object) {
                object.remove(path.last().getMatchingProperty());
            } else {
                ((ArrayNode) parent).remove(path.last().getMatchingIndex());
            }
            if (readOrRefuse(removed.zip(), "removed " + path)) {
                accepted++;
            } else {
                refused++;
            }
        }
        System.out.printf("model.json mutations: %d paths, %d refused, %d accepted%n", paths.size(), refused, accepted);
        assertTrue(refused > accepted, refused + " refused, " + accepted + " accepted");
    }

    @Test
    void changingAnyNpyByteWithItsHashUpdatedIsRefusedOrGivesAValidModel() {
        Unpacked original = new Unpacked(archive);
        int refused = 0;
        int accepted = 0;
        for (String file : List.of("layer0.weights.npy", "layer2.bias.npy")) {
            byte[] bytes = original.entries.get(file);
            for (int position = 0; position < bytes.length; position++) {
                for (int mask : new int[] {0x01, 0x20, 0x80}) {
                    byte[] changed = bytes.clone();
                    changed[position] ^= (byte) mask;
                    Unpacked u = new Unpacked(archive).putAndRehash(file, changed);
                    if (readOrRefuse(u.zip(), file + " byte " + position + " ^ " + mask)) {
                        accepted++;
                    } else {
                        refused++;
                    }
                }
            }
        }
        System.out.printf("npy byte changes with rehash: %d refused, %d accepted%n", refused, accepted);
        // Header damage is refused; a changed data byte is just another finite (or refused non-finite) weight.
        assertTrue(refused > 0 && accepted > 0);
    }

    @Test
    void anArchiveFromZipOutputStreamWithDataDescriptorsIsAccepted() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : new Unpacked(archive).entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey())); // deflated, sizes in a data descriptor
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        ModelArtifact read = ModelArtifacts.read(out.toByteArray(), ArtifactLimits.DEFAULTS);

        ArtifactFixtures.assertSameNetwork(artifact().network(), read.network());
        assertEquals(artifact().metrics(), read.metrics());
    }

    private static boolean readOrRefuse(byte[] zip, String what) {
        try {
            ModelArtifacts.read(zip, ArtifactLimits.DEFAULTS);
            return true;
        } catch (InvalidArtifactException e) {
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e.getClass().getName() + " instead of InvalidArtifactException", e);
        }
    }

    private static void collect(JsonNode node, JsonPointer at, List<JsonPointer> paths) {
        if (node.isObject()) {
            for (String name : node.propertyNames()) {
                JsonPointer child = at.appendProperty(name);
                paths.add(child);
                collect(node.get(name), child, paths);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonPointer child = at.appendIndex(i);
                paths.add(child);
                collect(node.get(i), child, paths);
            }
        }
    }
}
