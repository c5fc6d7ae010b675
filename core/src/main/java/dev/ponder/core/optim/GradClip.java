package dev.ponder.core.optim;

import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.HostVectors;
import java.nio.ByteBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient clipping by global L2 norm over the flat gradient buffer (one reduction, one scale). */
public final class GradClip {
    /** Elements per partial sum of squares of the host norm (lanes accumulate 128 each in float). */
    static final int BLOCK = 1024;
    /** Elements per host view (a ByteBuffer addresses at most 2^31 bytes). */
    private static final long SEGMENT = 1L << 28;

    private GradClip() {}

    /**
     * Scales {@code grads} in place by maxNorm / (norm + 1e-6) when norm > maxNorm (PyTorch's
     * clip_grad_norm_ rule) and returns the norm before clipping. maxNorm <= 0 disables clipping.
     * A non-finite norm is returned and the gradient left unscaled: the caller decides to skip.
     */
    public static double clipByGlobalNorm(INDArray grads, double maxNorm) {
        double norm = globalNorm(grads);
        double scale = scale(norm, maxNorm);
        if (scale != 1.0) {
            grads.muli(scale);
        }
        return norm;
    }

    /** The global L2 norm of the flat gradient buffer (a host reduction for contiguous FLOAT). */
    public static double globalNorm(INDArray grads) {
        return HostRows.contiguous(grads) ? hostNorm(grads) : grads.norm2Number().doubleValue();
    }

    /**
     * The factor clipping applies for this pre-clip norm: maxNorm / (norm + 1e-6) when norm > maxNorm
     * and finite, else 1 (maxNorm <= 0 disables clipping). {@link AdamW#step(double, double)} applies
     * it inside its pass, saving clipByGlobalNorm's separate pass over the gradient.
     */
    public static double scale(double norm, double maxNorm) {
        return maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
    }

    /**
     * The L2 norm of a contiguous FLOAT buffer from partial sums of squares over fixed blocks of
     * {@value #BLOCK} elements, added in block order: the same bits whatever the thread count. ND4J's
     * norm2 reduces over its OpenMP team, whose size comes from OMP_NUM_THREADS at start-up, so the
     * same training rounded its clip scale differently on 1- and 2-thread JVMs (local[2] vs one-core
     * executors), which every parameter then inherited.
     */
    static double hostNorm(INDArray grads) {
        long n = grads.length();
        double sum = 0;
        for (long s0 = 0; s0 < n; s0 += SEGMENT) {
            int len = (int) Math.min(SEGMENT, n - s0);
            INDArray piece = Views.range(grads.reshape(n), s0, len);
            ByteBuffer b = HostRows.flat(piece, 1, len).bytes();
            int blocks = (len + BLOCK - 1) / BLOCK;
            double[] partial = new double[blocks];
            HostParallel.forRange(blocks, len, (from, to) -> {
                for (int k = from; k < to; k++) {
                    int off = k * BLOCK;
                    partial[k] = HostVectors.dot(b, off, b, off, Math.min(BLOCK, len - off));
                }
            });
            for (double p : partial) {
                sum += p;
            }
        }
        return Math.sqrt(sum);
    }
}
