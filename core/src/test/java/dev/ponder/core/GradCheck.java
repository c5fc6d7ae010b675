package dev.ponder.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central finite differences in double precision against an analytic gradient. Entries pass when
 * |a - n| / max(|a|, |n|) <= relTol, or when |a - n| <= absTol (gradients that are ~0).
 */
public final class GradCheck {
    public static final double EPS = 1e-6;
    public static final double REL_TOL = 1e-5;
    public static final double ABS_TOL = 1e-8;

    private GradCheck() {}

    /**
     * Perturbs entries of {@code x} (c-order linear index; restored afterwards) and compares the
     * numerical derivative of {@code loss} with {@code analytic} (same shape as x). At most
     * {@code maxEntries} entries, chosen deterministically from {@code seed}; all if x is smaller.
     * Returns the worst relative error seen.
     */
    public static double check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, int maxEntries, long seed) {
        if (x.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException(what + ": gradient checks need DOUBLE, found " + x.dataType());
        }
        long n = x.length();
        INDArray flatA = analytic.dup('c').reshape(n);
        long[] idx = pick(n, maxEntries, seed);
        double worst = 0;
        for (long i : idx) {
            long[] pos = unravel(i, x.shape());
            double orig = x.getDouble(pos);
            x.putScalar(pos, orig + EPS);
            double up = inWorkspace(loss);
            x.putScalar(pos, orig - EPS);
            double down = inWorkspace(loss);
            x.putScalar(pos, orig);
            double num = (up - down) / (2 * EPS);
            double ana = flatA.getDouble(i);
            double diff = Math.abs(num - ana);
            double rel = diff / Math.max(Math.abs(num), Math.abs(ana));
            if (diff > ABS_TOL) {
                worst = Math.max(worst, rel);
                if (rel > REL_TOL) {
                    fail(what + " entry " + i + ": analytic " + ana + " numerical " + num + " rel error " + rel);
                }
            }
        }
        return worst;
    }

    /** Evaluates the loss inside a step workspace: temporaries are then free to allocate. */
    private static double inWorkspace(DoubleSupplier loss) {
        try (dev.ponder.core.tensor.StepWorkspace ignored = dev.ponder.core.tensor.StepWorkspace.open()) {
            return loss.getAsDouble();
        }
    }

    /** Loss helper for layer checks: sum(out * weights). */
    public static double weightedSum(INDArray out, INDArray weights) {
        return out.mul(weights).sumNumber().doubleValue();
    }

    /** A deterministic random double array in [-1, 1). */
    public static INDArray random(long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = 2 * r.nextDouble() - 1;
        }
        return Nd4j.createFromArray(v).reshape('c', shape);
    }

    /** Overwrites all parameters with deterministic values in [-scale, scale) (LN weights included). */
    public static void randomizeParams(dev.ponder.core.params.ParamStore store, long seed, double scale) {
        store.params().assign(random(seed, store.size()).muli(scale));
    }

    /** Checks every tensor of the store against its gradient view. */
    public static void checkAllParams(dev.ponder.core.params.ParamStore store, DoubleSupplier loss, int maxEntries) {
        for (dev.ponder.core.params.ParamSpec s : store.specs()) {
            check(s.name(), store.value(s.name()), store.grad(s.name()), loss, maxEntries, s.offset());
        }
    }

    private static long[] pick(long n, int max, long seed) {
        if (n <= max) {
            long[] all = new long[(int) n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        SplittableRandom r = new SplittableRandom(seed);
        long[] out = new long[max];
        for (int i = 0; i < max; i++) {
            out[i] = r.nextLong(n);
        }
        return out;
    }

    private static long[] unravel(long i, long[] shape) {
        long[] pos = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = i % shape[d];
            i /= shape[d];
        }
        return pos;
    }
}
