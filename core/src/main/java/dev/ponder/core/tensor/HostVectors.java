package dev.ponder.core.tensor;

import java.nio.ByteBuffer;

/**
 * Row kernels on FLOAT host memory (a direct {@link ByteBuffer} in native order, positions in
 * float elements) for the softmax passes of the fused kernels: row max, exp(x - shift) in place
 * with its sum, scaling, and the softmax backward's p * (g - c).
 *
 * <p>With the JDK's Vector API module present ({@code --add-modules jdk.incubator.vector}, which
 * the build, the launchers and the executors' options add) the work runs in {@link VectorRows}:
 * SIMD lanes and the JDK's vectorised exp. Measured on the build machine (AVX-512), exp over a
 * row of direct memory took 0.55 ns per element that way against 5.5 ns for a loop of
 * {@code Math.exp}, which C2 does not vectorise. Without the module (a JVM started without the
 * flag) the scalar loops here run: same results to float rounding, only slower. The switch is a
 * constant decided once per JVM; {@code -Dponder.vector=false} forces the scalar loops (A/B
 * benchmarks, the cross-check tests).
 */
public final class HostVectors {
    /** Whether the Vector API path runs in this JVM. */
    public static final boolean VECTOR = detect();

    private HostVectors() {}

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("ponder.vector", "true"))) {
            return false;
        }
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** max of b[off, off + n) (n >= 1). */
    public static float max(ByteBuffer b, int off, int n) {
        return VECTOR ? VectorRows.max(b, off, n) : Scalar.max(b, off, n);
    }

    /** b[i] = exp(b[i] - shift) on [off, off + n); returns the sum of the new values (in double). */
    public static double expShifted(ByteBuffer b, int off, int n, float shift) {
        return VECTOR ? VectorRows.expShifted(b, off, n, shift) : Scalar.expShifted(b, off, n, shift);
    }

    /** b[i] *= s on [off, off + n). */
    public static void scale(ByteBuffer b, int off, int n, float s) {
        if (VECTOR) {
            VectorRows.scale(b, off, n, s);
        } else {
            Scalar.scale(b, off, n, s);
        }
    }

    /** g[i] = p[i] * (g[i] - c) for i in [0, n): the softmax backward with c = sum_j p_j g_j. */
    public static void softmaxGrad(ByteBuffer p, int pOff, ByteBuffer g, int gOff, int n, float c) {
        if (VECTOR) {
            VectorRows.softmaxGrad(p, pOff, g, gOff, n, c);
        } else {
            Scalar.softmaxGrad(p, pOff, g, gOff, n, c);
        }
    }

    /** sum of a[i] * b[i] for i in [0, n) (in double). */
    public static double dot(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
        return VECTOR ? VectorRows.dot(a, aOff, b, bOff, n) : Scalar.dot(a, aOff, b, bOff, n);
    }

    /** b[i] = 0 on [off, off + n). */
    public static void zero(ByteBuffer b, int off, int n) {
        for (int i = off; i < off + n; i++) {
            b.putFloat(i << 2, 0f);
        }
    }

    /** The scalar loops: the fallback without the module, and what tests compare the lanes against. */
    static final class Scalar {
        private Scalar() {}

        static float max(ByteBuffer b, int off, int n) {
            float m = Float.NEGATIVE_INFINITY;
            for (int i = off; i < off + n; i++) {
                m = Math.max(m, b.getFloat(i << 2));
            }
            return m;
        }

        static double expShifted(ByteBuffer b, int off, int n, float shift) {
            double s = 0;
            for (int i = off; i < off + n; i++) {
                float e = (float) Math.exp(b.getFloat(i << 2) - shift);
                b.putFloat(i << 2, e);
                s += e;
            }
            return s;
        }

        static void scale(ByteBuffer b, int off, int n, float s) {
            for (int i = off; i < off + n; i++) {
                b.putFloat(i << 2, b.getFloat(i << 2) * s);
            }
        }

        static void softmaxGrad(ByteBuffer p, int pOff, ByteBuffer g, int gOff, int n, float c) {
            for (int i = 0; i < n; i++) {
                int gi = (gOff + i) << 2;
                g.putFloat(gi, p.getFloat((pOff + i) << 2) * (g.getFloat(gi) - c));
            }
        }

        static double dot(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += a.getFloat((aOff + i) << 2) * b.getFloat((bOff + i) << 2);
            }
            return s;
        }
    }
}
