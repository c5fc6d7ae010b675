package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A small random routing (some slots dropped) and helpers to compare with the reference loops. */
final class DispatchFixture {
    final int rows;
    final int k;
    final int nExperts;
    final int[] experts;
    final INDArray gates;

    DispatchFixture(int rows, int k, int nExperts, long seed, boolean dropSome) {
        this.rows = rows;
        this.k = k;
        this.nExperts = nExperts;
        SplittableRandom r = new SplittableRandom(seed);
        experts = new int[rows * k];
        for (int s = 0; s < experts.length; s++) {
            experts[s] = dropSome && r.nextInt(5) == 0 ? Routing.DROPPED : r.nextInt(nExperts);
        }
        gates = GradCheck.random(seed + 1, rows, k).addi(1.5);   // in [0.5, 2.5)
    }

    Routing routing() {
        return Routing.of(gates, experts, nExperts);
    }

    static double[][][] toArray3(INDArray w) {
        double[][][] out = new double[(int) w.size(0)][][];
        for (int e = 0; e < out.length; e++) {
            out[e] = w.slice(e).toDoubleMatrix();
        }
        return out;
    }

    static void assertClose(double[][] expected, INDArray actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], actual.getDouble(i, j), 1e-11, what + " [" + i + ", " + j + "]");
            }
        }
    }

    static void assertClose(double[][][] expected, INDArray actual, String what) {
        for (int e = 0; e < expected.length; e++) {
            assertClose(expected[e], actual.slice(e), what + " expert " + e);
        }
    }

    static void assertClose(double[] expected, INDArray actual, String what) {
        double[] a = HostArrays.read(actual);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], a[i], 1e-11, what + " [" + i + "]");
        }
    }
}
