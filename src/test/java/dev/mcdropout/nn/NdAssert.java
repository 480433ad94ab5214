package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise comparisons of ND4J arrays with readable failures. */
final class NdAssert {

    private NdAssert() {
    }

    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = Loss.toDoubles(expected);
        double[] a = Loss.toDoubles(actual);
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tolerance)) {
                fail(what + ": entry " + i + " of shape " + Arrays.toString(expected.shape()) + " is " + a[i]
                        + ", expected " + e[i] + " within " + tolerance);
            }
        }
    }

    /** Same shape, type and every bit. */
    static void assertIdentical(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what + ": data type");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(Loss.toDoubles(expected), Loss.toDoubles(actual), 0.0, what);
    }
}
