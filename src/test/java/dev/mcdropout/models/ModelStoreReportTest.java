package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluation reports on disk beside their versions: written atomically, optional, removed with the version. */
class ModelStoreReportTest {

    @TempDir
    Path root;

    private int addVersion(ModelStore store) throws Exception {
        Path temp = store.newTempFile("m");
        Files.writeString(temp, "not inspected by the store");
        return store.commit("m", temp);
    }

    @Test
    void reportIsStoredBesideItsVersionAndSurvivesANewStore() throws Exception {
        ModelStore store = new ModelStore(root);
        int v1 = addVersion(store);
        int v2 = addVersion(store);
        store.writeReport("m", v2, "{\"rows\":3}".getBytes(StandardCharsets.UTF_8));

        ModelStore reopened = new ModelStore(root);
        assertThat(reopened.readReport("m", v1)).isEmpty();
        assertThat(reopened.readReport("m", v2)).hasValueSatisfying(
                b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("{\"rows\":3}"));
        assertThat(root.resolve("m").resolve(v2 + ".evaluation.json")).isRegularFile();
        // a report is not a version
        assertThat(reopened.versions("m")).containsExactly(v1, v2);
        try (var files = Files.list(root.resolve("m"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
        }
    }

    @Test
    void deletingAVersionRemovesItsReportAndAReportNeedsAVersion() throws Exception {
        ModelStore store = new ModelStore(root);
        int v = addVersion(store);
        store.writeReport("m", v, new byte[] {'{', '}'});

        store.delete("m", v);

        assertThat(store.readReport("m", v)).isEmpty();
        assertThat(root.resolve("m").resolve(v + ".evaluation.json")).doesNotExist();
        assertThatThrownBy(() -> store.writeReport("m", v, new byte[] {'{', '}'})).isInstanceOf(NoSuchFileException.class);
    }
}
