package dev.ponder.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Vector API row kernels against the scalar loops, on lengths and offsets around the lane count. */
class HostVectorsTest {
    private static ByteBuffer random(int n, long seed, double range) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b.putFloat(4 * i, (float) ((r.nextDouble() - 0.5) * range));
        }
        return b;
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocateDirect(b.capacity()).order(ByteOrder.nativeOrder());
        for (int i = 0; i < b.capacity(); i += 4) {
            c.putFloat(i, b.getFloat(i));
        }
        return c;
    }

    @Test
    void testsRunTheVectorPath() {
        assertTrue(HostVectors.VECTOR, "the build starts test JVMs with --add-modules=jdk.incubator.vector");
    }

    @Test
    void lanesEqualTheScalarLoops() {
        for (int n : new int[] {1, 7, 15, 16, 17, 33, 64, 100, 1000}) {
            for (int off : new int[] {0, 1, 5}) {
                ByteBuffer a = random(off + n + 3, n * 31L + off, 40);
                ByteBuffer b = copy(a);
                String at = "n " + n + " off " + off;
                assertEquals(HostVectors.Scalar.max(a, off, n), VectorRows.max(b, off, n), at);
                float shift = HostVectors.Scalar.max(a, off, n);
                double sa = HostVectors.Scalar.expShifted(a, off, n, shift);
                double sb = VectorRows.expShifted(b, off, n, shift);
                assertEquals(sa, sb, 1e-6 * sa, at);
                for (int i = 0; i < off + n + 3; i++) {
                    float x = a.getFloat(4 * i);
                    assertEquals(x, b.getFloat(4 * i), 2e-7 * Math.abs(x) + 1e-30, at + " element " + i);
                }
                HostVectors.Scalar.scale(a, off, n, 0.37f);
                VectorRows.scale(b, off, n, 0.37f);
                ByteBuffer g1 = random(n + 2, n + 7L, 2);
                ByteBuffer g2 = copy(g1);
                assertEquals(HostVectors.Scalar.dot(a, off, g1, 2, n), VectorRows.dot(b, off, g2, 2, n), 1e-5, at);
                HostVectors.Scalar.softmaxGrad(a, off, g1, 2, n, 0.25f);
                VectorRows.softmaxGrad(b, off, g2, 2, n, 0.25f);
                for (int i = 0; i < n + 2; i++) {
                    float x = g1.getFloat(4 * i);
                    assertEquals(x, g2.getFloat(4 * i), 1e-6 * Math.abs(x) + 1e-30, at + " gradient " + i);
                }
            }
        }
    }
}
