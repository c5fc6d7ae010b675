package dev.ponder.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API side of {@link HostVectors} (loaded only when the module is present): whole
 * lanes over the row, the remainder element by element. Sums accumulate per lane in float over
 * one row (rows here are at most a vocabulary or a sequence long) and are reduced once.
 */
final class VectorRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorRows() {}

    private static FloatVector load(ByteBuffer b, int i) {
        return FloatVector.fromByteBuffer(S, b, i << 2, ORDER);
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
            m = acc.reduceLanes(VectorOperators.MAX);
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
            FloatVector e = load(b, i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoByteBuffer(b, i << 2, ORDER);
            acc = acc.add(e);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            float e = (float) Math.exp(b.getFloat(i << 2) - shift);
            b.putFloat(i << 2, e);
            s += e;
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

    static double dot(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
        int step = S.length();
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + step <= n; i += step) {
            acc = load(a, aOff + i).fma(load(b, bOff + i), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a.getFloat((aOff + i) << 2) * b.getFloat((bOff + i) << 2);
        }
        return s;
    }
}
