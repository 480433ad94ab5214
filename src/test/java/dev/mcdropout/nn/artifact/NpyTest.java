package dev.mcdropout.nn.artifact;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.littleEndianDoubles;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.littleEndianFloats;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {

    @Test
    void writtenArraysReadBackBitForBit() {
        float[] values = {1.5f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 3.1415927f, -2e-38f};

        Npy.NpyArray read = Npy.read(Npy.write(values, 2, 3), "a");

        assertArrayEquals(new int[] {2, 3}, read.shape());
        assertArrayEquals(values, read.data());
        assertEquals("<f4", read.dtype());
    }

    @Test
    void theHeaderIsPaddedTo64BytesLikeNumpyDoes() {
        for (int n = 1; n < 100_000; n *= 7) {
            byte[] file = Npy.write(new float[n], n);
            int headerLength = (file[8] & 0xff) | (file[9] & 0xff) << 8;
            assertEquals(0, (10 + headerLength) % 64);
            assertEquals('\n', file[10 + headerLength - 1]);
        }
    }

    @Test
    void float64IsRoundedToFloat32() {
        double[] values = {0.1, -1e-3, 12345.678901234};
        byte[] file = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", littleEndianDoubles(values));

        Npy.NpyArray read = Npy.read(file, "a");

        assertArrayEquals(new float[] {0.1f, -1e-3f, 12345.678901234f}, read.data());
    }

    @Test
    void fortranOrderIsTransposedIntoRowMajor() {
        // The matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
        byte[] file = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                littleEndianFloats(1, 4, 2, 5, 3, 6));

        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Npy.read(file, "a").data());
    }

    @Test
    void version2HeadersAndKeysInAnyOrderAreRead() {
        String header = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}";
        header = header + " ".repeat(64 - (12 + header.length() + 1) % 64) + "\n";
        ByteBuffer file = ByteBuffer.allocate(12 + header.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(header.length())
                .put(header.getBytes(StandardCharsets.US_ASCII)).putFloat(7).putFloat(8);

        assertArrayEquals(new float[] {7, 8}, Npy.read(file.array(), "a").data());
    }

    @Test
    void unsupportedVersionsAndOversizedHeadersAreRefused() {
        byte[] v3 = Npy.write(new float[2], 2);
        v3[6] = 3;
        byte[] huge = new byte[12];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0x40}, 0, huge, 0, 12);

        assertTrue(message(v3).contains(".npy format version 3.0 is not supported"), message(v3));
        assertTrue(message(huge).contains("header of 1073741824 bytes is longer than 10000"), message(huge));
        assertTrue(message(new byte[3]).contains("not a .npy file"));
    }

    @Test
    void aShapeLargerThanTheDataIsRefusedWithoutAllocatingIt() {
        byte[] file = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }",
                new byte[16]);

        assertTrue(message(file).contains("needs 4611686014132420609 values of 4 bytes but the file has 16 data bytes"),
                message(file));
    }

    @Test
    void aHeaderWithoutItsNewlineIsRefused() {
        byte[] file = Npy.write(new float[1], 1);
        file[10 + 117] = ' ';

        assertTrue(message(file).contains("header must end with a newline"), message(file));
    }

    private static String message(byte[] file) {
        return assertThrows(InvalidArtifactException.class, () -> Npy.read(file, "x")).getMessage();
    }
}
