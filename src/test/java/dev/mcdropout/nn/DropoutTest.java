package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DropoutTest {

    @Test
    void keptFractionOfTrainingMasksIsOneMinusPWithinFourStandardErrors() {
        int rows = 1000;
        int cols = 1000;
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            float[] mask = Dropout.scaledMask(2016L, 3L, 1, rows, cols, p, DataType.FLOAT).data().asFloat();
            long kept = 0;
            for (float v : mask) {
                assertTrue(v == 0f || v == (float) (1 / (1 - p)), "kept units are scaled by 1/(1-p)");
                kept += v != 0f ? 1 : 0;
            }
            int units = rows * cols;
            double se = Math.sqrt(p * (1 - p) / units);
            assertEquals(1 - p, (double) kept / units, 4 * se, "p = " + p);
        }
    }

    @Test
    void noTrainingMaskWhereNothingIsDropped() {
        assertNull(Dropout.scaledMask(1L, 2L, 0, 3, 4, 0.0, DataType.FLOAT));
    }

    @Test
    void droppedBitsFollowPWithinFourStandardErrors() {
        int units = 1_000_000;
        for (double p : new double[] {0.1, 0.3, 0.5, 0.75, 0.9}) {
            long[] dropped = new long[Dropout.words(units)];
            Dropout.dropBits(dropped, 0, units, Dropout.key(2016L, 3L, 1), p);
            long count = 0;
            for (int k = 0; k < units; k++) {
                count += (dropped[k >>> 6] >>> k) & 1L;
            }
            double se = Math.sqrt(p * (1 - p) / units);
            assertEquals(p, (double) count / units, 4 * se, "p = " + p);
        }
    }

    @Test
    void manyShortRowMasksTogetherStillFollowP() {
        // In prediction every row draws its own short mask: the per-row streams must not be correlated.
        double p = 0.5;
        int width = 10;
        int rows = 100_000;
        long dropped = 0;
        long[] words = new long[1];
        for (int r = 0; r < rows; r++) {
            Dropout.dropBits(words, 0, width, Dropout.key(7L, 0L, 1, Dropout.rowKey(new double[] {r}, DataType.FLOAT)), p);
            dropped += Long.bitCount(words[0] & ((1L << width) - 1));
        }
        long units = (long) rows * width;
        assertEquals(p, (double) dropped / units, 4 * Math.sqrt(p * (1 - p) / units));
    }

    @Test
    void atOneHalfEachWordIsTheNextDrawOfASplittableRandomSeededWithTheKey() {
        long[] dropped = new long[5];
        Dropout.dropBits(dropped, 0, 300, 123456789L, 0.5);
        java.util.SplittableRandom random = new java.util.SplittableRandom(123456789L);
        for (long word : dropped) {
            assertEquals(random.nextLong(), word);
        }
    }

    @Test
    void bitsAreWrittenAtTheOffsetAndNowhereElse() {
        long[] dropped = new long[6];
        java.util.Arrays.fill(dropped, 0x5555L);
        Dropout.dropBits(dropped, 2, 130, 99L, 0.5);
        assertEquals(0x5555L, dropped[0]);
        assertEquals(0x5555L, dropped[1]);
        assertEquals(0x5555L, dropped[5]);
        long[] alone = new long[3];
        Dropout.dropBits(alone, 0, 130, 99L, 0.5);
        assertArrayEquals(alone, java.util.Arrays.copyOfRange(dropped, 2, 5));
    }

    @Test
    void seedAndSampleRelatedLinearlyNoLongerDrawTheSameMasks() {
        // The old mixing started from seed * G + sample, so seed s + G^-1 with sample t drew the masks of
        // seed s with sample t + 1. Every input now passes through a finaliser first.
        long golden = 0x9E3779B97F4A7C15L;
        long inverse = BigInteger.valueOf(golden).modInverse(BigInteger.ONE.shiftLeft(64)).longValue();
        assertEquals(1L, golden * inverse);
        long row = Dropout.rowKey(new double[] {1, 2, 3}, DataType.FLOAT);
        for (int site = 0; site < 3; site++) {
            assertNotEquals(Dropout.key(5L, 3L, site, row), Dropout.key(5L + inverse, 2L, site, row));
            assertNotEquals(Dropout.key(5L, 3L, site), Dropout.key(5L + inverse, 2L, site));
        }
        long[] a = new long[4];
        long[] b = new long[4];
        Dropout.dropBits(a, 0, 256, Dropout.key(5L, 3L, 1, row), 0.5);
        Dropout.dropBits(b, 0, 256, Dropout.key(5L + inverse, 2L, 1, row), 0.5);
        assertTrue(!java.util.Arrays.equals(a, b));
    }

    @Test
    void seededMasksForAllRowsOfASampleEqualThoseDrawnOneRowAtATime() {
        MaskSource seeded = MaskSource.seeded(20160607L);
        long[] rowKeys = new java.util.SplittableRandom(5).longs(37).toArray();
        for (int units : new int[] {1, 63, 64, 65, 300}) {
            for (double p : new double[] {0.1, 0.5, 0.75}) {
                int words = Dropout.words(units);
                long[] together = new long[rowKeys.length * words];
                long[] oneByOne = new long[rowKeys.length * words];
                seeded.fillRows(together, units, 41L, 2, rowKeys, p);
                for (int b = 0; b < rowKeys.length; b++) {
                    Dropout.dropBits(oneByOne, b * words, units, Dropout.key(20160607L, 41L, 2, rowKeys[b]), p);
                }
                assertArrayEquals(oneByOne, together, "units " + units + ", p " + p);
            }
        }
    }

    @Test
    void keysOfNearbyInputsAreAllDistinct() {
        Set<Long> keys = new HashSet<>();
        long row = Dropout.rowKey(new double[] {0.5}, DataType.FLOAT);
        for (long seed = -20; seed <= 20; seed++) {
            for (long sample = 0; sample < 50; sample++) {
                for (int site = 0; site < 4; site++) {
                    assertTrue(keys.add(Dropout.key(seed, sample, site, row)), "seed " + seed + " sample " + sample);
                }
            }
        }
        // Swapping seed and sample, or sample and site, is a different key too.
        assertNotEquals(Dropout.key(1L, 2L, 3, row), Dropout.key(2L, 1L, 3, row));
        assertNotEquals(Dropout.key(1L, 2L, 3, row), Dropout.key(1L, 3L, 2, row));
    }

    @Test
    void rowKeyIsTheSameForRowsTheNetworkCannotTellApart() {
        double[] row = {0.1, -0.0, 3.0};
        assertEquals(Dropout.rowKey(row, DataType.FLOAT), Dropout.rowKey(row.clone(), DataType.FLOAT));
        // -0 and +0 are the same input; so are two doubles that round to one float in a float32 network.
        assertEquals(Dropout.rowKey(row, DataType.FLOAT), Dropout.rowKey(new double[] {0.1, 0.0, 3.0}, DataType.FLOAT));
        assertEquals(Dropout.rowKey(row, DataType.FLOAT),
                Dropout.rowKey(new double[] {0.1 + 1e-12, 0.0, 3.0}, DataType.FLOAT));
        assertNotEquals(Dropout.rowKey(row, DataType.DOUBLE),
                Dropout.rowKey(new double[] {0.1 + 1e-12, 0.0, 3.0}, DataType.DOUBLE));
    }

    @Test
    void rowKeysOfRowsThatDifferInOneValueOrInOrderDiffer() {
        Set<Long> keys = new HashSet<>();
        for (int j = 0; j < 64; j++) {
            for (int v = 1; v <= 16; v++) {
                double[] row = new double[64];
                row[j] = v;
                assertTrue(keys.add(Dropout.rowKey(row, DataType.FLOAT)), "feature " + j + " = " + v);
            }
        }
        assertTrue(keys.add(Dropout.rowKey(new double[64], DataType.FLOAT)));
        assertTrue(keys.add(Dropout.rowKey(new double[63], DataType.FLOAT)), "length is part of the key");
        assertNotEquals(Dropout.rowKey(new double[] {1, 2}, DataType.FLOAT),
                Dropout.rowKey(new double[] {2, 1}, DataType.FLOAT));
    }

    @Test
    void keysOfRowsHashedFourAtATimeAreEachRowsOwnKey() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(9);
        for (int rows : new int[] {1, 3, 4, 5, 11}) {
            int length = 37;
            double[] values = new double[rows * length];
            for (int i = 0; i < values.length; i++) {
                values[i] = i % 7 == 0 ? -0.0 : random.nextGaussian();
            }
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                long[] keys = new long[rows];
                Dropout.rowKeys(values, rows, length, type, keys);
                for (int r = 0; r < rows; r++) {
                    assertEquals(Dropout.rowKey(java.util.Arrays.copyOfRange(values, r * length, (r + 1) * length), type),
                            keys[r], rows + " rows, row " + r + ", " + type);
                }
            }
        }
    }
}
