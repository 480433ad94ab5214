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
    void twoStoresOnOneDirectoryCommittingAtOnceNeverShareOrReplaceAVersion() throws Exception {
        // Two stores on one directory, as two replicas on one volume; each writer's content names it.
        ModelStore[] stores = {new ModelStore(root), new ModelStore(root)};
        int writers = 8;
        int each = 5;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<java.util.concurrent.Future<java.util.Map<Integer, String>>> results = new java.util.ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            results.add(pool.submit(() -> {
                go.await();
                java.util.Map<Integer, String> mine = new java.util.HashMap<>();
                for (int i = 0; i < each; i++) {
                    String content = "writer " + writer + " commit " + i;
                    mine.put(write(stores[writer % 2], "m", content), content);
                }
                return mine;
            }));
        }
        go.countDown();
        java.util.Map<Integer, String> all = new java.util.HashMap<>();
        for (var f : results) {
            for (var e : f.get().entrySet()) {
                assertThat(all.put(e.getKey(), e.getValue())).as("version %d given twice", e.getKey()).isNull();
            }
        }
        pool.shutdown();
        assertThat(all).hasSize(writers * each);
        assertThat(stores[1].versions("m")).hasSize(writers * each).startsWith(1).endsWith(writers * each);
        for (var e : all.entrySet()) {
            assertThat(Files.readString(root.resolve("m/" + e.getKey() + ".zip"))).isEqualTo(e.getValue());
        }
        try (Stream<Path> left = Files.list(root.resolve("m"))) {
            assertThat(left.filter(p -> p.getFileName().toString().startsWith(".tmp-"))).isEmpty();
        }
    }

    @Test
    void theActivePointerIsSetOnlyIfNoStoredVersionIsActive() throws IOException {
        ModelStore store = new ModelStore(root);
        write(store, "m", "one");
        write(store, "m", "two");
        assertThat(store.setActiveIfAbsent("m", 2)).isEqualTo(2);
        assertThat(new ModelStore(root).setActiveIfAbsent("m", 1)).isEqualTo(2);
        assertThat(store.activeVersion("m")).hasValue(2);
        assertThat(store.deleteUnlessActive("m", 2)).isFalse();
        assertThat(store.deleteUnlessActive("m", 1)).isTrue();
        assertThat(store.versions("m")).containsExactly(2);
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
    void staleLeftoverTempFilesAreRemovedAtStartYoungOnesKeptAndNeitherListed() throws IOException {
        ModelStore store = new ModelStore(root);
        write(store, "m", "one");
        Path leftover = store.newTempFile("m");
        Files.writeString(leftover, "half written");
        Files.setLastModifiedTime(leftover, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(ModelStore.DEFAULT_STALE_TEMP_AGE).minusSeconds(60)));
        Path inProgress = store.newTempFile("m");
        Files.writeString(inProgress, "another replica is still writing this");
        assertThat(store.versions("m")).containsExactly(1);
        new ModelStore(root);
        assertThat(Files.exists(leftover)).isFalse();
        assertThat(Files.exists(inProgress)).isTrue();
        assertThat(new ModelStore(root).versions("m")).containsExactly(1);
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
