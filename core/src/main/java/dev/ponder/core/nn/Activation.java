package dev.ponder.core.nn;

import dev.ponder.core.tensor.Ops;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Elementwise activations with explicit backward.
 * <ul>
 *   <li>RELU: applied in place; backward needs only the output (out > 0 iff in > 0), so the
 *       pre-activation is not kept.</li>
 *   <li>GELU: the exact erf form 0.5 x (1 + erf(x / sqrt 2)), as PyTorch's default nn.GELU /
 *       F.gelu (ND4J's "gelu" op is the sigmoid approximation, "precise_gelu" the tanh one; neither
 *       matches). Backward: Phi(x) + x phi(x). Keeps the pre-activation.</li>
 * </ul>
 */
public enum Activation {
    RELU,
    GELU;

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** The output and the array backward needs (the output for ReLU, the input for GELU). */
    public record Result(INDArray out, INDArray saved) {}

    /** Parses "relu" / "gelu" (case-insensitive). */
    public static Activation parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("activation: expected relu or gelu, found " + s);
        }
    }

    /** Applies the activation; RELU overwrites {@code h}, GELU leaves it intact. */
    public Result forward(INDArray h) {
        if (this == RELU) {
            INDArray a = Transforms.relu(h, false);
            return new Result(a, a);
        }
        INDArray a = erfInPlace(h.mul(INV_SQRT2)).addi(1.0).muli(h).muli(0.5);
        return new Result(a, h);
    }

    /** dOut -> dIn given {@link Result#saved()}; overwrites dOut (a temporary of the caller's layer). */
    public INDArray backwardInPlace(INDArray saved, INDArray dOut) {
        if (this == RELU) {
            return Ops.reluBackwardInPlace(saved, dOut);
        }
        INDArray x = saved;
        INDArray cdf = erfInPlace(x.mul(INV_SQRT2)).addi(1.0).muli(0.5);             // Phi(x)
        INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI); // phi(x)
        return dOut.muli(cdf.addi(pdf.muli(x)));
    }

    private static INDArray erfInPlace(INDArray x) {
        Nd4j.exec(new Erf(x, x));
        return x;
    }
}
