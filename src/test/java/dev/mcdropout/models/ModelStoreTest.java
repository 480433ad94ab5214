package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcdropout.system.ProblemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    @TempDir
    Path root;

    private int write(ModelStore store, String name, String content) throws IOException {
        Path temp = store.newTempFile(name);
        Files.writeString(temp, content);
        return store.commit(name, temp);
    }

    private long filesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.count();
        }
    }

    @Test
    void committedVersionsAreNumberedFromOneAndNeverReused() throws IOException {
        ModelStore store = new ModelStore(root);
        assertThat(write(store, "m", "one")).isEqualTo(1);
        assertThat(write(store, "m", "two")).isEqualTo(2);
        store.delete("m", 2);
        assertThat(store.versions("m")).containsExactly(1);
        assertThat(write(store, "m", "three")).isEqualTo(3);
        assertThat(new ModelStore(root).versions("m")).containsExactly(1, 3);
        assertThat(Files.readString(root.resolve("m/3.zip"))).isEqualTo("three");
    }

    @Test
    void theActivePointerSurvivesReopening() throws IOException {
        ModelStore store = new ModelStore(root);
        write(store, "m", "one");
        write(store, "m", "two");
        store.setActive("m", 2);
        assertThat(new ModelStore(root).activeVersion("m")).hasValue(2);
        assertThatThrownBy(() -> store.setActive("m", 9)).isInstanceOf(IOException.class);
        assertThat(store.activeVersion("m")).hasValue(2);
    }

    @Test
    void namesThatCouldEscapeTheStoreAreRejectedBeforeTouchingTheFileSystem() throws IOException {
        // the store two levels down in this test's own directory, so that an escape of one or two levels is
        // counted without counting what other processes on the machine create in the shared temp directory
        ModelStore store = new ModelStore(Files.createDirectories(root.resolve("outer").resolve("store")));
        long before = filesUnder(root);
        for (String name : new String[] {"..", "../x", "a/b", "/etc", ".", "", "A", "x".repeat(65), "a\u0000b", "-a", "a b"}) {
            assertThatThrownBy(() -> store.newTempFile(name)).as(name).isInstanceOf(ProblemException.class);
            assertThatThrownBy(() -> store.versions(name)).as(name).isInstanceOf(ProblemException.class);
        }
        assertThat(filesUnder(root)).isEqualTo(before);
    }

    @Test
    void leftoverTempFilesAreRemovedAtStartAndNeverListed() throws IOException {
        ModelStore store = new ModelStore(root);
        write(store, "m", "one");
        Path leftover = store.newTempFile("m");
        Files.writeString(leftover, "half written");
        assertThat(store.versions("m")).containsExactly(1);
        new ModelStore(root);
        assertThat(Files.exists(leftover)).isFalse();
        assertThat(Files.exists(root.resolve("m/1.zip"))).isTrue();
    }

    @Test
    void aDiscardedFirstUploadLeavesNoModelBehind() throws IOException {
        ModelStore store = new ModelStore(root);
        Path temp = store.newTempFile("fresh");
        Files.writeString(temp, "rejected");
        store.discard(temp);
        assertThat(Files.exists(root.resolve("fresh"))).isFalse();
        assertThat(store.modelNames()).isEmpty();
    }

    @Test
    void sha256IsOfTheStoredBytes() throws IOException {
        ModelStore store = new ModelStore(root);
        write(store, "m", "abc");
        assertThat(store.sha256("m", 1)).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
