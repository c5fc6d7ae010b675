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

    private static void assertSameBits(ByteBuffer a, ByteBuffer b, int n, String what) {
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(a.getFloat(4 * i)), Float.floatToRawIntBits(b.getFloat(4 * i)),
                    what + ", element " + i);
        }
    }

    /** The polynomial exp against Math.exp over the softmax range, and its clamp below. */
    @Test
    void expIsAccurate() {
        double worst = 0;
        for (float x = -87f; x <= 0f; x += 0.0037f) {
            double want = Math.exp(x);
            worst = Math.max(worst, Math.abs(HostVectors.exp(x) - want) / want);
        }
        assertTrue(worst < 3e-7, "max relative error " + worst);
        assertEquals(1f, HostVectors.exp(0f), 0f);
        assertEquals((float) Math.exp(-87), HostVectors.exp(-1e30f), 1e-44, "clamped below");
        assertTrue(HostVectors.exp(Float.NEGATIVE_INFINITY) > 0, "-inf is clamped, not NaN");
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
                // bitwise: a run's results must not depend on the JVM option, the JIT or the machine
                assertEquals(HostVectors.Scalar.max(a, off, n), VectorRows.max(b, off, n), at);
                float shift = HostVectors.Scalar.max(a, off, n);
                double sa = HostVectors.Scalar.expShifted(a, off, n, shift);
                assertEquals(sa, VectorRows.expShifted(b, off, n, shift), 0.0, at);
                assertSameBits(a, b, off + n + 3, at + " exp");
                HostVectors.Scalar.scale(a, off, n, 0.37f);
                VectorRows.scale(b, off, n, 0.37f);
                assertSameBits(a, b, off + n + 3, at + " scale");
                ByteBuffer g1 = random(n + 2, n + 7L, 2);
                ByteBuffer g2 = copy(g1);
                assertEquals(HostVectors.Scalar.dot(a, off, g1, 2, n), VectorRows.dot(b, off, g2, 2, n), 0.0, at);
                HostVectors.Scalar.softmaxGrad(a, off, g1, 2, n, 0.25f);
                VectorRows.softmaxGrad(b, off, g2, 2, n, 0.25f);
                assertSameBits(g1, g2, n + 2, at + " softmax gradient");
            }
        }
    }
}
