package dev.ponder.core.optim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AdamWKernel}'s element update on SIMD lanes: the scalar update's operations lane by lane
 * (each exactly rounded: fma, mul, sqrt, add, div, sub), so both give the same bits. Only loaded
 * when the JVM resolves {@code jdk.incubator.vector}.
 */
final class VectorAdamW {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorAdamW() {}

    private static FloatVector load(ByteBuffer b, int i) {
        return FloatVector.fromByteBuffer(S, b, i << 2, ORDER);
    }

    /** Elements [from, to) of p, with m at state[i] and v at state[n + i]; see {@link AdamWKernel.Scalar#update}. */
    static void update(ByteBuffer p, ByteBuffer g, ByteBuffer state, int n, int from, int to, AdamWKernel.Coefficients k) {
        int step = S.length();
        int i = from;
        for (; i + step <= to; i += step) {
            FloatVector gv = load(g, i).mul(k.gradScale());
            FloatVector m = load(state, i).fma(FloatVector.broadcast(S, k.beta1()), gv.mul(k.oneMinusBeta1()));
            FloatVector v = load(state, n + i).fma(FloatVector.broadcast(S, k.beta2()), gv.mul(gv).mul(k.oneMinusBeta2()));
            m.intoByteBuffer(state, i << 2, ORDER);
            v.intoByteBuffer(state, (n + i) << 2, ORDER);
            FloatVector u = m.mul(k.alpha()).div(v.sqrt().add(k.eps()));
            load(p, i).mul(k.decay()).sub(u).intoByteBuffer(p, i << 2, ORDER);
        }
        AdamWKernel.Scalar.update(p, g, state, n, i, to, k);
    }
}
