package dev.ponder.core.optim;

import dev.ponder.core.params.ParamLayout;
import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostVectors;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One fused pass of AdamW over the flat FLOAT buffers on the host: per element, decoupled decay
 * (inside the decay runs), both moments and the step, reading p, g, m, v once and writing p, m, v
 * once, on SIMD lanes ({@link VectorAdamW}) when the JVM resolves {@code jdk.incubator.vector},
 * else the same operations one element at a time (the same bits: results do not depend on the JVM
 * option). {@link AdamW}'s ND4J updater path stays as the reference (and serves double precision);
 * a test cross-checks the two.
 *
 * <p>Why: the ND4J path makes a pass per decay run, the updater's pass, and a subtraction pass over
 * all parameters (measured 40-65 ms per step for sharcs-tiny's 10.6M parameters on the 2-core build
 * machine, a cost that does not shrink with SHARCS width or MoD capacity); a scalar loop in double
 * took ~30 ms, bound by its divides and square roots. The update is ND4J's formula in float:
 * alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t) (computed once in double), m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2, p = p d - alpha_t m / (sqrt(v) + eps), with g the gradient times the clip
 * factor (1 unless clipping), applied here rather than in a pass of its own.
 */
final class AdamWKernel {
    private AdamWKernel() {}

    /** The update's constants in float (d: the decay factor of the run being updated, else 1). */
    record Coefficients(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float alpha,
                        float decay, float gradScale) {
        Coefficients withDecay(float d) {
            return new Coefficients(beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, alpha, d, gradScale);
        }
    }

    static void step(ByteBuffer p, ByteBuffer g, ByteBuffer state, int n, List<ParamLayout.Range> decayRuns,
                     double decay, AdamW.Config c, double alphaT, double gradScale) {
        long[] starts = new long[decayRuns.size()];
        long[] ends = new long[decayRuns.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = decayRuns.get(i).offset();
            ends[i] = starts[i] + decayRuns.get(i).length();
        }
        Coefficients plain = new Coefficients((float) c.beta1(), (float) (1 - c.beta1()), (float) c.beta2(),
                (float) (1 - c.beta2()), (float) c.eps(), (float) alphaT, 1f, (float) gradScale);
        Coefficients decayed = plain.withDecay((float) decay);
        HostParallel.forRange(n, (long) n * 4, (from, to) -> {
            int i = from;
            int run = firstRunEndingAfter(ends, from);
            while (i < to) {
                boolean inRun = run < starts.length && starts[run] <= i;
                int end = (int) Math.min(to, run >= starts.length ? to : inRun ? ends[run] : starts[run]);
                Coefficients k = inRun ? decayed : plain;
                if (HostVectors.VECTOR) {
                    VectorAdamW.update(p, g, state, n, i, end, k);
                } else {
                    Scalar.update(p, g, state, n, i, end, k);
                }
                i = end;
                if (inRun) {
                    run++;
                }
            }
        });
    }

    /** The lanes' operations one element at a time (the fallback, and the vector path's tails). */
    static final class Scalar {
        private Scalar() {}

        static void update(ByteBuffer p, ByteBuffer g, ByteBuffer state, int n, int from, int to, Coefficients k) {
            for (int i = from; i < to; i++) {
                float gi = g.getFloat(i << 2) * k.gradScale();
                float m = Math.fma(state.getFloat(i << 2), k.beta1(), gi * k.oneMinusBeta1());
                float v = Math.fma(state.getFloat((n + i) << 2), k.beta2(), gi * gi * k.oneMinusBeta2());
                state.putFloat(i << 2, m);
                state.putFloat((n + i) << 2, v);
                float u = m * k.alpha() / ((float) Math.sqrt(v) + k.eps());
                p.putFloat(i << 2, p.getFloat(i << 2) * k.decay() - u);
            }
        }
    }

    /** Index of the first run whose end is past {@code i} (runs sorted and disjoint). */
    private static int firstRunEndingAfter(long[] ends, int i) {
        int lo = 0;
        int hi = ends.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] <= i) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
