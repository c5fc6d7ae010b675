package dev.ponder.core.tensor;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A seed that splits deterministically: {@code rng.split("layers.3.attn.q.weight")} always gives the
 * same child for the same parent, whatever else was split before. Results therefore never depend on
 * creation order, thread, or any global RNG (ND4J's {@code Nd4j.getRandom()} is never touched).
 *
 * <p>Values are produced by {@link SplittableRandom} and Box-Muller written here, so they are the
 * same on every backend (CPU and CUDA executors initialise identical models) and every JDK.
 */
public final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final long seed;

    public Rng(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** A child stream identified by a label (for example a parameter name). */
    public Rng split(String label) {
        return new Rng(mix(seed ^ mix(fnv1a64(label))));
    }

    /** A child stream identified by an index (step, partition, worker). */
    public Rng split(long index) {
        return new Rng(mix(seed + GOLDEN * (index + 1)));
    }

    /** A fresh generator positioned at the start of this stream. */
    public SplittableRandom generator() {
        return new SplittableRandom(seed);
    }

    /** n standard-normal draws (Box-Muller on this stream). */
    public double[] normals(int n) {
        SplittableRandom r = generator();
        double[] out = new double[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - r.nextDouble(); // (0, 1]: log is finite
            double u2 = r.nextDouble();
            double radius = Math.sqrt(-2.0 * Math.log(u1));
            out[i] = radius * Math.cos(2 * Math.PI * u2);
            if (i + 1 < n) {
                out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
            }
        }
        return out;
    }

    /** Fills {@code target} with N(mean, std^2) in c-order, in one bulk copy. */
    public void fillNormal(INDArray target, double mean, double std) {
        double[] v = normals((int) target.length());
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * v[i];
        }
        assignFrom(target, v);
    }

    /** Fills {@code target} with U(lo, hi) in c-order, in one bulk copy. */
    public void fillUniform(INDArray target, double lo, double hi) {
        SplittableRandom r = generator();
        double[] v = new double[(int) target.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
        }
        assignFrom(target, v);
    }

    private static void assignFrom(INDArray target, double[] values) {
        // Temporary host array outside any workspace: init may run while a step workspace is open.
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            target.assign(Nd4j.createFromArray(values).reshape('c', target.shape()));
        }
    }

    /** SplitMix64 finaliser: a bijection that spreads nearby seeds apart. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
