package dev.ponder.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The LayerNorm row passes of {@link NormRows} on SIMD lanes: sums in 8 lane accumulators added in
 * lane order, element-wise steps as single exactly rounded lane operations, so that
 * {@link NormRows.Scalar} can perform the same operations in the same order and give the same bits.
 * Only loaded when the JVM resolves {@code jdk.incubator.vector}.
 */
final class VectorNormRows {
    private static final VectorSpecies<Float> S = VectorRows.S;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorNormRows() {}

    private static FloatVector load(ByteBuffer b, int i) {
        return VectorRows.load(b, i);
    }

    private static double laneSum(FloatVector acc) {
        return VectorRows.laneSum(acc);
    }

    static double addAndSum(ByteBuffer x, int xOff, ByteBuffer r, int rOff, int n) {
        int step = S.length();
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            FloatVector v = load(x, xOff + i);
            if (r != null) {
                v = v.add(load(r, rOff + i));
                v.intoByteBuffer(x, (xOff + i) << 2, ORDER);
            }
            acc = acc.add(v);
        }
        double s = laneSum(acc);
        for (; i < n; i++) {
            s += NormRows.Scalar.addAt(x, xOff + i, r, rOff + i);
        }
        return s;
    }

    static void add(ByteBuffer x, int xOff, ByteBuffer r, int rOff, int n) {
        int step = S.length();
        int i = 0;
        for (; i + step <= n; i += step) {
            load(x, xOff + i).add(load(r, rOff + i)).intoByteBuffer(x, (xOff + i) << 2, ORDER);
        }
        for (; i < n; i++) {
            NormRows.Scalar.addAt(x, xOff + i, r, rOff + i);
        }
    }

    static double centredSquares(ByteBuffer x, int xOff, int n, float mean) {
        int step = S.length();
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            FloatVector c = load(x, xOff + i).sub(mean);
            acc = c.fma(c, acc);
        }
        return NormRows.Scalar.centredSquaresTail(x, xOff, i, n, mean, laneSum(acc));
    }

    static void normalize(ByteBuffer x, int xOff, int n, float mean, float rstd, float[] w, float[] b,
                          ByteBuffer y, int yOff, ByteBuffer h, int hOff) {
        int step = S.length();
        int i = 0;
        for (; i + step <= n; i += step) {
            FloatVector hv = load(x, xOff + i).sub(mean).mul(rstd);
            hv.intoByteBuffer(h, (hOff + i) << 2, ORDER);
            hv.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoByteBuffer(y, (yOff + i) << 2, ORDER);
        }
        for (; i < n; i++) {
            NormRows.Scalar.normalizeAt(x, xOff + i, mean, rstd, w[i], b[i], y, yOff + i, h, hOff + i);
        }
    }

    static void gradSums(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float[] pw, float[] pb,
                         double[] sums) {
        int step = S.length();
        int i = 0;
        FloatVector accG = FloatVector.zero(S);
        FloatVector accGh = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            FloatVector gy = load(dy, dyOff + i);
            FloatVector hv = load(h, hOff + i);
            FloatVector g = gy.mul(FloatVector.fromArray(S, w, i));
            accG = accG.add(g);
            accGh = g.fma(hv, accGh);
            gy.fma(hv, FloatVector.fromArray(S, pw, i)).intoArray(pw, i);
            gy.add(FloatVector.fromArray(S, pb, i)).intoArray(pb, i);
        }
        sums[0] = laneSum(accG);
        sums[1] = laneSum(accGh);
        NormRows.Scalar.gradSumsTail(dy, dyOff, h, hOff, i, n, w, pw, pb, sums);
    }

    static void grad(ByteBuffer dy, int dyOff, ByteBuffer h, int hOff, int n, float[] w, float rstd, float meanG,
                     float meanGh, ByteBuffer dx, int dxOff, boolean accumulate) {
        int step = S.length();
        int i = 0;
        for (; i + step <= n; i += step) {
            FloatVector g = load(dy, dyOff + i).mul(FloatVector.fromArray(S, w, i));
            FloatVector v = g.sub(meanG).sub(load(h, hOff + i).mul(meanGh)).mul(rstd);
            if (accumulate) {
                v = load(dx, dxOff + i).add(v);
            }
            v.intoByteBuffer(dx, (dxOff + i) << 2, ORDER);
        }
        for (; i < n; i++) {
            NormRows.Scalar.gradAt(dy, dyOff + i, h, hOff + i, w[i], rstd, meanG, meanGh, dx, dxOff + i, accumulate);
        }
    }
}
