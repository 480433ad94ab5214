package dev.mcdropout.nn.artifact;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.artifact;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.assertSameNetwork;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Damaged archives: every outcome must be either a refusal with {@link InvalidArtifactException} or, when the
 * damage hit a byte that carries no meaning (a timestamp, a "version made by" field), the very same model.
 * Never another exception, never a different model.
 */
class ModelArtifactsCorruptionTest {

    private final ModelArtifact original = artifact();
    private final byte[] archive = ModelArtifacts.toBytes(original);

    @Test
    void flippingAnyByteEitherIsRefusedOrChangesNothing() {
        int refused = 0;
        int harmless = 0;
        for (int mask : new int[] {0x01, 0x80, 0xff}) {
            for (int position = 0; position < archive.length; position++) {
                byte[] damaged = archive.clone();
                damaged[position] ^= (byte) mask;
                if (outcome(damaged, "flip 0x" + Integer.toHexString(mask) + " at " + position)) {
                    refused++;
                } else {
                    harmless++;
                }
            }
        }
        System.out.printf("flipped bytes: %d archives, %d refused, %d harmless%n", refused + harmless, refused,
                harmless);
        assertEquals(3 * archive.length, refused + harmless);
        // Only header fields nobody reads (times, versions, attributes) may be harmless: a small minority.
        assertTrue(harmless < refused / 10, harmless + " harmless of " + (refused + harmless));
    }

    @Test
    void randomMultiByteDamageEitherIsRefusedOrChangesNothing() {
        SplittableRandom random = new SplittableRandom(2026);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] damaged = archive.clone();
            int bytes = 2 + random.nextInt(8);
            for (int k = 0; k < bytes; k++) {
                damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
            }
            outcome(damaged, "random damage trial " + trial);
        }
    }

    @Test
    void everyTruncationIsRefused() {
        for (int length = 0; length < archive.length; length++) {
            byte[] truncated = Arrays.copyOf(archive, length);
            int at = length;
            assertThrows(InvalidArtifactException.class,
                    () -> ModelArtifacts.read(truncated, ArtifactLimits.DEFAULTS), () -> "truncated to " + at);
        }
        System.out.printf("truncations: %d lengths, all refused%n", archive.length);
    }

    @Test
    void everyPrefixCutIsRefused() {
        for (int cut = 1; cut < archive.length; cut += 7) {
            byte[] tail = Arrays.copyOfRange(archive, cut, archive.length);
            int at = cut;
            assertThrows(InvalidArtifactException.class,
                    () -> ModelArtifacts.read(tail, ArtifactLimits.DEFAULTS), () -> "first " + at + " bytes cut");
        }
    }

    @Test
    void bytesAppendedOrPrependedAreRefused() {
        byte[] appended = Arrays.copyOf(archive, archive.length + 1);
        byte[] prepended = new byte[archive.length + 4];
        System.arraycopy(archive, 0, prepended, 4, archive.length);

        assertTrue(message(appended).contains("no end of central directory record"), message(appended));
        assertTrue(message(prepended).contains("does not end where the end record begins"), message(prepended));
    }

    @Test
    void somethingThatIsNotAZipIsRefused() {
        byte[] random = new byte[4096];
        new SplittableRandom(1).nextBytes(random);

        assertTrue(message(new byte[0]).contains("not a zip archive"));
        assertTrue(message(random).contains("not a zip archive"));
        assertTrue(message("{\"formatVersion\": 1}".getBytes()).contains("not a zip archive"));
    }

    /** True if refused; false if read and identical; fails the test on anything else. */
    private boolean outcome(byte[] damaged, String what) {
        ModelArtifact read;
        try {
            read = ModelArtifacts.read(damaged, ArtifactLimits.DEFAULTS);
        } catch (InvalidArtifactException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                fail(what + ": refused without a message");
            }
            return true;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e.getClass().getName() + " instead of InvalidArtifactException", e);
        }
        assertSameNetwork(original.network(), read.network());
        assertEquals(original.hyperparameters(), read.hyperparameters(), what);
        assertEquals(original.history(), read.history(), what);
        assertEquals(original.metrics(), read.metrics(), what);
        assertEquals(original.createdAt(), read.createdAt(), what);
        return false;
    }

    private static String message(byte[] archive) {
        return assertThrows(InvalidArtifactException.class,
                () -> ModelArtifacts.read(archive, ArtifactLimits.DEFAULTS)).getMessage();
    }
}
