package dev.ponder.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A finite-difference check of a whole gradient tensor at once: along a random direction u,
 * (L(x + eps u) - L(x - eps u)) / 2 eps must equal sum(grad * u). Two loss evaluations per tensor
 * instead of two per entry, so every entry of a large tensor takes part; complements the per-entry
 * {@link GradCheck} on a sample of entries (a wrong entry would have to cancel out by chance).
 */
public final class DirectionalGradCheck {
    private DirectionalGradCheck() {}

    /** Fails when the directional derivatives differ by more than 1e-6 relative (1e-9 absolute). */
    public static void check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, long seed) {
        check(what, x, analytic, loss, seed, 1e-6);
    }

    /**
     * With a relative tolerance of choice: a loss with several parts carries roundoff of a few
     * 1e-16 per evaluation, which over 2 eps is ~1e-9 absolute, a few 1e-6 of a gradient ~1e-4.
     */
    public static void check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, long seed,
                             double relTol) {
        INDArray u = GradCheck.random(seed, x.shape());
        INDArray orig = x.dup();
        double eps = GradCheck.EPS;
        x.addi(u.mul(eps));
        double up = loss.getAsDouble();
        x.assign(orig).subi(u.mul(eps));
        double down = loss.getAsDouble();
        x.assign(orig);
        double num = (up - down) / (2 * eps);
        double ana = analytic.mul(u).sumNumber().doubleValue();
        double diff = Math.abs(num - ana);
        if (diff > 1e-9 && diff / Math.max(Math.abs(num), Math.abs(ana)) > relTol) {
            fail(what + ": directional derivative analytic " + ana + " numerical " + num);
        }
    }

    /** The directional check on every tensor of the store. */
    public static void checkAllParams(dev.ponder.core.params.ParamStore store, DoubleSupplier loss) {
        for (dev.ponder.core.params.ParamSpec s : store.specs()) {
            check(s.name(), store.value(s.name()), store.grad(s.name()), loss, s.offset() + 17);
        }
    }
}
