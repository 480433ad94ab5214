package dev.mcdropout.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpTest {

    /** Distance in units in the last place between two positive doubles (or zeros). */
    private static long ulps(double a, double b) {
        return Math.abs(Double.doubleToLongBits(a) - Double.doubleToLongBits(b));
    }

    @Test
    void isWithinTwoUlpsOfStrictMathOverTheSoftmaxRangeAndBeyond() {
        SplittableRandom random = new SplittableRandom(1989);
        long worst = 0;
        double worstAt = 0;
        for (int i = 0; i < 2_000_000; i++) {
            // the softmax's arguments are <= 0; most lie within a few tens of the maximum
            double x = switch (i % 4) {
                case 0 -> -random.nextDouble() * 40;
                case 1 -> -random.nextDouble() * 745.2;
                case 2 -> random.nextDouble(-1e-6, 1e-6);
                default -> random.nextDouble(-709, 709.7);
            };
            long d = ulps(Exp.exp(x), StrictMath.exp(x));
            if (d > worst) {
                worst = d;
                worstAt = x;
            }
        }
        assertTrue(worst <= 2, worst + " ulps at " + worstAt);
    }

    @Test
    void givesExactlyOneAtZeroAsTheSoftmaxMaximumNeeds() {
        assertEquals(1.0, Exp.exp(0.0));
        assertEquals(1.0, Exp.exp(-0.0));
    }

    @Test
    void leavesTheEdgesOfTheRangeToMathExp() {
        for (double x : new double[] {Double.NEGATIVE_INFINITY, -1e300, -745.2, -700.0, 700.0, 709.8,
                Double.POSITIVE_INFINITY, Double.NaN}) {
            assertEquals(Math.exp(x), Exp.exp(x), "x = " + x);
        }
        assertTrue(ulps(Exp.exp(-699.99), StrictMath.exp(-699.99)) <= 2);
        assertTrue(ulps(Exp.exp(699.99), StrictMath.exp(699.99)) <= 2);
    }
}
