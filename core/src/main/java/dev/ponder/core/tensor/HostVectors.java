package dev.ponder.core.tensor;

import java.nio.ByteBuffer;

/**
 * Row kernels on FLOAT host memory (a direct {@link ByteBuffer} in native order, positions in
 * float elements) for the softmax passes of the fused kernels: row max, exp(x - shift) in place
 * with its sum, scaling, and the softmax backward's p * (g - c).
 *
 * <p>With the JDK's Vector API module present ({@code --add-modules jdk.incubator.vector}, which
 * the build, the launchers and the executors' options add) the work runs in {@link VectorRows} on
 * SIMD lanes. A loop of {@code Math.exp} cost 5.5 ns per element here (C2 does not vectorise it).
 * Without the module (a JVM started without the flag) the scalar loops here run the same
 * operations in the same order: the same bits, only slower. Results are bitwise reproducible
 * across JVMs, JIT states and machines (see {@link VectorRows}): a rerun Spark task or a resumed
 * run computes the same parameters. The switch is a constant decided once per JVM;
 * {@code -Dponder.vector=false} forces the scalar loops.
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

    /** The sum of exp(b[i] - shift) over [off, off + n) without writing b: expShifted's sum, bit for bit. */
    public static double sumExpShifted(ByteBuffer b, int off, int n, float shift) {
        return VECTOR ? VectorRows.sumExpShifted(b, off, n, shift) : Scalar.sumExpShifted(b, off, n, shift);
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

    /** b[i] = max(b[i], 0) on [off, off + n) (Math.max: NaN stays NaN, -0 becomes 0). */
    public static void relu(ByteBuffer b, int off, int n) {
        if (VECTOR) {
            VectorRows.relu(b, off, n);
        } else {
            Scalar.relu(b, off, n);
        }
    }

    /** g[i] = 0 where a[i] <= 0 (ReLU's backward from its output a), for i in [0, n). */
    public static void reluGrad(ByteBuffer a, int aOff, ByteBuffer g, int gOff, int n) {
        if (VECTOR) {
            VectorRows.reluGrad(a, aOff, g, gOff, n);
        } else {
            Scalar.reluGrad(a, aOff, g, gOff, n);
        }
    }

    /** b[i] = 0 on [off, off + n). */
    public static void zero(ByteBuffer b, int off, int n) {
        for (int i = off; i < off + n; i++) {
            b.putFloat(i << 2, 0f);
        }
    }

    // exp(x) = 2^n * e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts), e^r by a
    // degree-7 polynomial (Cephes' expf coefficients; relative error ~1e-7 on the clamped range).
    static final float EXP_MIN = -87.0f;
    static final float EXP_MAX = 88.0f;
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer. */
    static final float ROUND = 12582912f;
    /** 2^23 + 127: n + this holds n + 127 in its low mantissa bits (|n| <= 127). */
    static final float EXPONENT_BIAS = 8388735f;
    static final float NEG_LN2_HI = -0.693359375f;
    static final float NEG_LN2_LO = 2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;
    /** Lanes of the vector path, mirrored by the scalar loops' accumulators. */
    static final int LANES = 8;

    /**
     * exp(x) from exactly rounded float operations only (the same ones, in the same order, as the
     * vector path's lanes), so that its bits do not depend on the JIT or the machine. Arguments are
     * clamped to [-87, 88]: exp(-87) = 1.6e-38 stands for anything smaller (softmax arguments are <= 0).
     */
    static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float n = xc * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, NEG_LN2_HI, xc);
        r = Math.fma(n, NEG_LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float r2 = r * r;
        p = Math.fma(p, r2, r) + 1f;
        return p * Float.intBitsToFloat(Float.floatToRawIntBits(n + EXPONENT_BIAS) << 23);
    }

    /**
     * The scalar loops: the fallback without the module. They perform the vector path's operations
     * in its order (8 lane accumulators over the whole lanes, added in lane order, then the tail), so
     * both give the same bits and a run's results do not depend on the JVM option.
     */
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
            float[] lanes = new float[LANES];
            int i = off;
            int end = off + n;
            for (; i + LANES <= end; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    float e = exp(b.getFloat((i + l) << 2) - shift);
                    b.putFloat((i + l) << 2, e);
                    lanes[l] += e;
                }
            }
            double s = 0;
            for (float l : lanes) {
                s += l;
            }
            for (; i < end; i++) {
                float e = exp(b.getFloat(i << 2) - shift);
                b.putFloat(i << 2, e);
                s += e;
            }
            return s;
        }

        static double sumExpShifted(ByteBuffer b, int off, int n, float shift) {
            float[] lanes = new float[LANES];
            int i = off;
            int end = off + n;
            for (; i + LANES <= end; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += exp(b.getFloat((i + l) << 2) - shift);
                }
            }
            double s = 0;
            for (float l : lanes) {
                s += l;
            }
            for (; i < end; i++) {
                s += exp(b.getFloat(i << 2) - shift);
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

        static void relu(ByteBuffer b, int off, int n) {
            for (int i = off; i < off + n; i++) {
                b.putFloat(i << 2, Math.max(b.getFloat(i << 2), 0f));
            }
        }

        static void reluGrad(ByteBuffer a, int aOff, ByteBuffer g, int gOff, int n) {
            for (int i = 0; i < n; i++) {
                if (!(a.getFloat((aOff + i) << 2) > 0f)) {
                    g.putFloat((gOff + i) << 2, 0f);
                }
            }
        }

        static double dot(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
            float[] lanes = new float[LANES];
            int i = 0;
            for (; i + LANES <= n; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] = Math.fma(a.getFloat((aOff + i + l) << 2), b.getFloat((bOff + i + l) << 2), lanes[l]);
                }
            }
            double s = 0;
            for (float l : lanes) {
                s += l;
            }
            for (; i < n; i++) {
                s += a.getFloat((aOff + i) << 2) * b.getFloat((bOff + i) << 2);
            }
            return s;
        }
    }
}
