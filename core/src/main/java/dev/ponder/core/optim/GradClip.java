package dev.ponder.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient clipping by global L2 norm over the flat gradient buffer (one reduction, one scale). */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales {@code grads} in place by maxNorm / (norm + 1e-6) when norm > maxNorm (PyTorch's
     * clip_grad_norm_ rule) and returns the norm before clipping. maxNorm <= 0 disables clipping.
     * A non-finite norm is returned and the gradient left unscaled: the caller decides to skip.
     */
    public static double clipByGlobalNorm(INDArray grads, double maxNorm) {
        double norm = grads.norm2Number().doubleValue();
        if (maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm) {
            grads.muli(maxNorm / (norm + 1e-6));
        }
        return norm;
    }
}
