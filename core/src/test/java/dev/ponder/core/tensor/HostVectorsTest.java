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
                double sum = HostVectors.Scalar.sumExpShifted(a, off, n, shift);
                assertEquals(sum, VectorRows.sumExpShifted(b, off, n, shift), 0.0, at + " sum of exp");
                double sa = HostVectors.Scalar.expShifted(a, off, n, shift);
                assertEquals(sum, sa, 0.0, at + " the sum without writes is expShifted's");
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
                a.putFloat(4 * off, -0f);
                b.putFloat(4 * off, -0f);
                HostVectors.Scalar.relu(a, off, n);
                VectorRows.relu(b, off, n);
                assertSameBits(a, b, off + n + 3, at + " relu");
                HostVectors.Scalar.reluGrad(a, off, g1, 2, n);
                VectorRows.reluGrad(b, off, g2, 2, n);
                assertSameBits(g1, g2, n + 2, at + " relu gradient");
            }
        }
    }

    /** LayerNorm's row passes (NormRows): lanes against the scalar loops, bitwise. */
    @Test
    void normRowLanesEqualTheScalarLoops() {
        for (int n : new int[] {1, 7, 8, 17, 64, 100, 256}) {
            for (int off : new int[] {0, 3}) {
                String at = "n " + n + " off " + off;
                ByteBuffer x1 = random(off + n, n * 13L + off, 6);
                ByteBuffer x2 = copy(x1);
                ByteBuffer r = random(n + 1, n + 5L, 2);
                assertEquals(NormRows.Scalar.addAndSum(x1, off, r, 1, n), VectorNormRows.addAndSum(x2, off, r, 1, n), 0.0,
                        at + " add and sum");
                assertSameBits(x1, x2, off + n, at + " residual add");
                assertEquals(NormRows.Scalar.addAndSum(x1, off, null, 0, n), VectorNormRows.addAndSum(x2, off, null, 0, n),
                        0.0, at + " sum");
                float mean = 0.3f;
                assertEquals(NormRows.Scalar.centredSquares(x1, off, n, mean), VectorNormRows.centredSquares(x2, off, n, mean),
                        0.0, at + " squares");
                float[] w = new float[n];
                float[] b = new float[n];
                for (int i = 0; i < n; i++) {
                    w[i] = 0.5f + 0.01f * i;
                    b[i] = -0.2f + 0.003f * i;
                }
                ByteBuffer y1 = random(n + 2, 1, 1);
                ByteBuffer y2 = copy(y1);
                ByteBuffer h1 = random(n, 2, 1);
                ByteBuffer h2 = copy(h1);
                NormRows.Scalar.normalize(x1, off, n, mean, 1.7f, w, b, y1, 2, h1, 0);
                VectorNormRows.normalize(x2, off, n, mean, 1.7f, w, b, y2, 2, h2, 0);
                assertSameBits(y1, y2, n + 2, at + " y");
                assertSameBits(h1, h2, n, at + " xhat");
                ByteBuffer dy = random(n + 1, n + 9L, 2);
                float[] pw1 = new float[n];
                float[] pb1 = new float[n];
                float[] pw2 = new float[n];
                float[] pb2 = new float[n];
                double[] s1 = new double[2];
                double[] s2 = new double[2];
                for (int rep = 0; rep < 2; rep++) {                          // partials accumulate over rows
                    NormRows.Scalar.gradSums(dy, 1, h1, 0, n, w, pw1, pb1, s1);
                    VectorNormRows.gradSums(dy, 1, h2, 0, n, w, pw2, pb2, s2);
                }
                assertEquals(s1[0], s2[0], 0.0, at + " sum g");
                assertEquals(s1[1], s2[1], 0.0, at + " sum g xhat");
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(pw1[i]), Float.floatToRawIntBits(pw2[i]), at + " dw " + i);
                    assertEquals(Float.floatToRawIntBits(pb1[i]), Float.floatToRawIntBits(pb2[i]), at + " db " + i);
                }
                for (boolean acc : new boolean[] {false, true}) {
                    ByteBuffer dx1 = random(n + 4, 3, 1);
                    ByteBuffer dx2 = copy(dx1);
                    NormRows.Scalar.grad(dy, 1, h1, 0, n, w, 1.3f, 0.1f, -0.2f, dx1, 4, acc);
                    VectorNormRows.grad(dy, 1, h2, 0, n, w, 1.3f, 0.1f, -0.2f, dx2, 4, acc);
                    assertSameBits(dx1, dx2, n + 4, at + " dx accumulate " + acc);
                }
                ByteBuffer a1 = random(n, 4, 1);
                ByteBuffer a2 = copy(a1);
                for (int i = 0; i < n; i++) {
                    NormRows.Scalar.addAt(a1, i, r, i + 1);
                }
                VectorNormRows.add(a2, 0, r, 1, n);
                assertSameBits(a1, a2, n, at + " add");
            }
        }
    }
}
