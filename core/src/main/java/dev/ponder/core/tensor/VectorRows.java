package dev.ponder.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API side of {@link HostVectors} (loaded only when the module is present).
 *
 * <p>Bitwise reproducible, by construction: results must not depend on the JVM's JIT state or on
 * the machine's vector width, because a Spark task rerun on another executor (or a resumed run)
 * must compute the same parameters. So: a fixed 8-lane species on every machine; only exactly
 * rounded lane operations (add, mul, fused multiply-add, max, conversions, shifts) — the JDK's
 * lanewise EXP gives different bits compiled (its SVML stub) and interpreted, so exp is our own
 * polynomial ({@link HostVectors#exp}); and sums never use reduceLanes (whose order is unspecified):
 * the lane accumulators are added in lane order. {@link HostVectors.Scalar} performs exactly the
 * same operations in the same order, so both paths give the same bits (a test checks it).
 */
final class VectorRows {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorRows() {}

    static FloatVector load(ByteBuffer b, int i) {
        return FloatVector.fromByteBuffer(S, b, i << 2, ORDER);
    }

    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, HostVectors.NEG_LN2_HI);
    private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(S, HostVectors.NEG_LN2_LO);
    private static final FloatVector P2 = FloatVector.broadcast(S, HostVectors.P2);
    private static final FloatVector P3 = FloatVector.broadcast(S, HostVectors.P3);
    private static final FloatVector P4 = FloatVector.broadcast(S, HostVectors.P4);
    private static final FloatVector P5 = FloatVector.broadcast(S, HostVectors.P5);

    /** exp(x) on every lane: the operations of {@link HostVectors#exp}, lane by lane. */
    private static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(HostVectors.EXP_MIN).min(HostVectors.EXP_MAX);
        FloatVector n = xc.mul(HostVectors.LOG2E).add(HostVectors.ROUND).sub(HostVectors.ROUND);
        FloatVector r = n.fma(NEG_LN2_HI, xc);
        r = n.fma(NEG_LN2_LO, r);
        FloatVector p = r.fma(HostVectors.P0, HostVectors.P1);
        p = p.fma(r, P2);
        p = p.fma(r, P3);
        p = p.fma(r, P4);
        p = p.fma(r, P5);
        FloatVector r2 = r.mul(r);
        p = p.fma(r2, r).add(1f);
        // 2^n: n + 127 lands in the low mantissa bits of n + 2^23 + 127; shifted into the exponent
        IntVector bits = (IntVector) n.add(HostVectors.EXPONENT_BIAS).viewAsIntegralLanes();
        return p.mul(bits.lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes());
    }

    /**
     * The lanes' sum in lane order (in double). Lane extracts, not intoArray into a fresh float[]:
     * that array was not scalar-replaced and made this the hottest method of LayerNorm's rows
     * (a [2048, 64] forward 0.28 ms, most of it here).
     */
    static double laneSum(FloatVector acc) {
        double s = 0;                  // as the scalar mirror: 0 + lane 0 (a -0.0 lane sums to 0.0)
        s += acc.lane(0);
        s += acc.lane(1);
        s += acc.lane(2);
        s += acc.lane(3);
        s += acc.lane(4);
        s += acc.lane(5);
        s += acc.lane(6);
        s += acc.lane(7);
        return s;
    }

    static float max(ByteBuffer b, int off, int n) {
        int step = S.length();
        int i = off;
        int end = off + n;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= step) {
            FloatVector acc = load(b, i);
            for (i += step; i + step <= end; i += step) {
                acc = acc.max(load(b, i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);                      // max is order-free
        }
        for (; i < end; i++) {
            m = Math.max(m, b.getFloat(i << 2));
        }
        return m;
    }

    static double expShifted(ByteBuffer b, int off, int n, float shift) {
        int step = S.length();
        int i = off;
        int end = off + n;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= end; i += step) {
            FloatVector e = exp(load(b, i).sub(shift));
            e.intoByteBuffer(b, i << 2, ORDER);
            acc = acc.add(e);
        }
        double s = laneSum(acc);
        for (; i < end; i++) {
            float e = HostVectors.exp(b.getFloat(i << 2) - shift);
            b.putFloat(i << 2, e);
            s += e;
        }
        return s;
    }

    static double sumExpShifted(ByteBuffer b, int off, int n, float shift) {
        int step = S.length();
        int i = off;
        int end = off + n;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= end; i += step) {
            acc = acc.add(exp(load(b, i).sub(shift)));
        }
        double s = laneSum(acc);
        for (; i < end; i++) {
            s += HostVectors.exp(b.getFloat(i << 2) - shift);
        }
        return s;
    }

    static void scale(ByteBuffer b, int off, int n, float s) {
        int step = S.length();
        int i = off;
        int end = off + n;
        for (; i + step <= end; i += step) {
            load(b, i).mul(s).intoByteBuffer(b, i << 2, ORDER);
        }
        for (; i < end; i++) {
            b.putFloat(i << 2, b.getFloat(i << 2) * s);
        }
    }

    static void softmaxGrad(ByteBuffer p, int pOff, ByteBuffer g, int gOff, int n, float c) {
        int step = S.length();
        int i = 0;
        for (; i + step <= n; i += step) {
            FloatVector gv = load(g, gOff + i);
            load(p, pOff + i).mul(gv.sub(c)).intoByteBuffer(g, (gOff + i) << 2, ORDER);
        }
        for (; i < n; i++) {
            int gi = (gOff + i) << 2;
            g.putFloat(gi, p.getFloat((pOff + i) << 2) * (g.getFloat(gi) - c));
        }
    }

    static void relu(ByteBuffer b, int off, int n) {
        int step = S.length();
        int i = off;
        int end = off + n;
        for (; i + step <= end; i += step) {
            load(b, i).max(0f).intoByteBuffer(b, i << 2, ORDER);
        }
        HostVectors.Scalar.relu(b, i, end - i);
    }

    static void reluGrad(ByteBuffer a, int aOff, ByteBuffer g, int gOff, int n) {
        int step = S.length();
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            FloatVector gv = load(g, gOff + i);
            zero.blend(gv, load(a, aOff + i).compare(VectorOperators.GT, 0f)).intoByteBuffer(g, (gOff + i) << 2, ORDER);
        }
        HostVectors.Scalar.reluGrad(a, aOff + i, g, gOff + i, n - i);
    }

    static double dot(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
        int step = S.length();
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            acc = load(a, aOff + i).fma(load(b, bOff + i), acc);
        }
        double s = laneSum(acc);
        for (; i < n; i++) {
            s += a.getFloat((aOff + i) << 2) * b.getFloat((bOff + i) << 2);
        }
        return s;
    }
}
