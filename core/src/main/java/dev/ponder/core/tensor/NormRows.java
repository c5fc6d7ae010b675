package dev.ponder.core.tensor;

import java.nio.ByteBuffer;

/**
 * LayerNorm's row passes on FLOAT host memory (native-order bytes, positions in float elements):
 * the residual add with the row sum, the centred sum of squares, normalisation, and the backward's
 * two row sums and its gradient. On SIMD lanes ({@link VectorNormRows}) when the JVM resolves
 * {@code jdk.incubator.vector} ({@link HostVectors#VECTOR}), else the scalar loops here, which
 * perform the same operations in the same order: the same bits either way (a test checks it), so
 * results do not depend on the JVM option, the JIT state or the machine.
 *
 * <p>Why: LayerNorm's rows were scalar loops with a double accumulator per element (a 4-cycle add
 * chain): 0.85 ms for [2048, 64] here, where a SHARCS width-0.25 layer's gemms take ~2 ms.
 */
public final class NormRows {
    private NormRows() {}

    /** x[i] += r[i] on [0, n) when r is not null; returns the sum of the (new) x row in double. */
    public static double addAndSum(ByteBuffer x, int xOff, ByteBuffer r, int rOff, int n) {
        return HostVectors.VECTOR ? VectorNormRows.addAndSum(x, xOff, r, rOff, n) : Scalar.addAndSum(x, xOff, r, rOff, n);
    }

    /** x[i] += r[i] on [0, n) (the residual add that no LayerNorm follows). */
    public static void add(ByteBuffer x, int xOff, ByteBuffer r, int rOff, int n) {
        if (HostVectors.VECTOR) {
            VectorNormRows.add(x, xOff, r, rOff, n);
        } else {
            for (int i = 0; i < n; i++) {
                Scalar.addAt(x, xOff + i, r, rOff + i);
            }
        }
    }

    /** sum over the row of (x[i] - mean)^2, in double. */
    public static double centredSquares(ByteBuffer x, int xOff, int n, float mean) {
        return HostVectors.VECTOR ? VectorNormRows.centredSquares(x, xOff, n, mean) : Scalar.centredSquares(x, xOff, n, mean);
    }

    /** h[i] = (x[i] - mean) rstd; y[i] = h[i] w[i] + b[i] (one fused multiply-add). */
    public static void normalize(ByteBuffer x, int xOff, int n, float mean, float rstd, float[] w, float[] b,
                                 ByteBuffer y, int yOff, ByteBuffer h, int hOff) {
        if (HostVectors.VECTOR) {
            VectorNormRows.normalize(x, xOff, n, mean, rstd, w, b, y, yOff, h, hOff);
        } else {
            Scalar.normalize(x, xOff, n, mean, rstd, w, b, y, yOff, h, hOff);
        }
    }

    /**
     * With g = dy w: sums[0] = sum g, sums[1] = sum g h (in double); accumulates pw[i] += dy[i] h[i]
     * and pb[i] += dy[i] (a chunk's weight and bias gradient partials).
     */
    public static void gradSums(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float[] pw,
                                float[] pb, double[] sums) {
        if (HostVectors.VECTOR) {
            VectorNormRows.gradSums(dy, dyOff, h, hOff, n, w, pw, pb, sums);
        } else {
            Scalar.gradSums(dy, dyOff, h, hOff, n, w, pw, pb, sums);
        }
    }

    /** dx[i] = rstd ((dy[i] w[i] - meanG) - h[i] meanGh), or dx[i] += that when accumulating. */
    public static void grad(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float rstd, float meanG,
                            float meanGh, ByteBuffer dx, int dxOff, boolean accumulate) {
        if (HostVectors.VECTOR) {
            VectorNormRows.grad(dy, dyOff, h, hOff, n, w, rstd, meanG, meanGh, dx, dxOff, accumulate);
        } else {
            Scalar.grad(dy, dyOff, h, hOff, n, w, rstd, meanG, meanGh, dx, dxOff, accumulate);
        }
    }

    /** The vector path's operations one element at a time, lanes mirrored by 8 accumulators. */
    static final class Scalar {
        private static final int LANES = HostVectors.LANES;

        private Scalar() {}

        /** x[i] += r[i] (r may be null); returns the new x[i]. */
        static float addAt(ByteBuffer x, int i, ByteBuffer r, int ri) {
            float v = x.getFloat(i << 2);
            if (r != null) {
                v = v + r.getFloat(ri << 2);
                x.putFloat(i << 2, v);
            }
            return v;
        }

        static void normalizeAt(ByteBuffer x, int xi, float mean, float rstd, float w, float b, ByteBuffer y, int yi,
                                ByteBuffer h, int hi) {
            float hv = (x.getFloat(xi << 2) - mean) * rstd;
            h.putFloat(hi << 2, hv);
            y.putFloat(yi << 2, Math.fma(hv, w, b));
        }

        static void gradAt(ByteBuffer dy, int dyi, ByteBuffer h, int hi, float w, float rstd, float meanG, float meanGh,
                           ByteBuffer dx, int dxi, boolean accumulate) {
            float g = dy.getFloat(dyi << 2) * w;
            float v = (g - meanG - h.getFloat(hi << 2) * meanGh) * rstd;
            dx.putFloat(dxi << 2, accumulate ? dx.getFloat(dxi << 2) + v : v);
        }

        private static double sumLanes(float[] lanes) {
            double s = 0;
            for (float l : lanes) {
                s += l;
            }
            return s;
        }

        static double addAndSum(ByteBuffer x, int xOff, ByteBuffer r, int rOff, int n) {
            float[] lanes = new float[LANES];
            int i = 0;
            for (; i + LANES <= n; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    lanes[l] += addAt(x, xOff + i + l, r, rOff + i + l);
                }
            }
            double s = sumLanes(lanes);
            for (; i < n; i++) {
                s += addAt(x, xOff + i, r, rOff + i);
            }
            return s;
        }

        static double centredSquares(ByteBuffer x, int xOff, int n, float mean) {
            float[] lanes = new float[LANES];
            int i = 0;
            for (; i + LANES <= n; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    float c = x.getFloat((xOff + i + l) << 2) - mean;
                    lanes[l] = Math.fma(c, c, lanes[l]);
                }
            }
            return centredSquaresTail(x, xOff, i, n, mean, sumLanes(lanes));
        }

        /** s plus the squares of elements [i, n) after the whole lanes, one by one (both paths' tail). */
        static double centredSquaresTail(ByteBuffer x, int xOff, int i, int n, float mean, double s) {
            for (; i < n; i++) {
                float c = x.getFloat((xOff + i) << 2) - mean;
                s += c * c;
            }
            return s;
        }

        static void normalize(ByteBuffer x, int xOff, int n, float mean, float rstd, float[] w, float[] b,
                              ByteBuffer y, int yOff, ByteBuffer h, int hOff) {
            for (int i = 0; i < n; i++) {
                normalizeAt(x, xOff + i, mean, rstd, w[i], b[i], y, yOff + i, h, hOff + i);
            }
        }

        static void gradSums(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float[] pw, float[] pb,
                             double[] sums) {
            float[] accG = new float[LANES];
            float[] accGh = new float[LANES];
            int i = 0;
            for (; i + LANES <= n; i += LANES) {
                for (int l = 0; l < LANES; l++) {
                    int j = i + l;
                    float gy = dy.getFloat((dyOff + j) << 2);
                    float hv = h.getFloat((hOff + j) << 2);
                    float g = gy * w[j];
                    accG[l] += g;
                    accGh[l] = Math.fma(g, hv, accGh[l]);
                    pw[j] = Math.fma(gy, hv, pw[j]);
                    pb[j] = gy + pb[j];
                }
            }
            sums[0] = sumLanes(accG);
            sums[1] = sumLanes(accGh);
            gradSumsTail(dy, dyOff, h, hOff, i, n, w, pw, pb, sums);
        }

        /** Elements [i, n) after the whole lanes: added to sums one by one (both paths' tail). */
        static void gradSumsTail(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int i, int n, float[] w, float[] pw,
                                 float[] pb, double[] sums) {
            for (; i < n; i++) {
                float gy = dy.getFloat((dyOff + i) << 2);
                float hv = h.getFloat((hOff + i) << 2);
                float g = gy * w[i];
                sums[0] += g;
                sums[1] += g * hv;
                pw[i] = Math.fma(gy, hv, pw[i]);
                pb[i] = gy + pb[i];
            }
        }

        static void grad(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float rstd, float meanG,
                         float meanGh, ByteBuffer dx, int dxOff, boolean accumulate) {
            for (int i = 0; i < n; i++) {
                gradAt(dy, dyOff + i, h, hOff + i, w[i], rstd, meanG, meanGh, dx, dxOff + i, accumulate);
            }
        }
    }
}
