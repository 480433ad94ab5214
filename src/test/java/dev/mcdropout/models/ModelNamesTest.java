package dev.mcdropout.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.mcdropout.system.ProblemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelNamesTest {

    @TempDir
    Path root;

    @Test
    void anyStringIsEitherAValidNameInsideTheStoreOrRejectedWithoutTouchingTheFileSystem() throws Exception {
        ModelStore store = new ModelStore(root);
        qt().withExamples(2000).forAll(strings().allPossible().ofLengthBetween(0, 70)).checkAssert(name -> {
            boolean valid = name.matches(ModelNames.REGEX);
            try {
                Path dir = store.modelDir(name);
                assertThat(valid).as("accepted '%s'", name).isTrue();
                assertThat(dir.getParent()).isEqualTo(store.root());
                assertThat(dir.getFileName().toString()).isEqualTo(name);
            } catch (ProblemException e) {
                assertThat(valid).as("rejected '%s'", name).isFalse();
                assertThat(e.status().value()).isEqualTo(400);
            }
        });
        qt().withExamples(500).forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 70)).checkAssert(name ->
                assertThat(ModelNames.isValid(name)).isEqualTo(name.matches("[a-z0-9][a-z0-9_-]{0,63}")));
        try (var files = Files.list(root)) {
            assertThat(files).isEmpty();
        }
    }
}
