package dev.ponder.core.nn;

import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.HostVectors;
import dev.ponder.core.tensor.Ops;
import java.nio.ByteBuffer;
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
            INDArray a = HostRows.contiguous(h) ? hostRelu(h) : Transforms.relu(h, false);
            return new Result(a, a);
        }
        INDArray a = erfInPlace(h.mul(INV_SQRT2)).addi(1.0).muli(h).muli(0.5);
        return new Result(a, h);
    }

    /** dOut -> dIn given {@link Result#saved()}; overwrites dOut (a temporary of the caller's layer). */
    public INDArray backwardInPlace(INDArray saved, INDArray dOut) {
        if (this == RELU) {
            if (HostRows.contiguous(saved) && HostRows.contiguous(dOut) && saved.length() == dOut.length()) {
                ByteBuffer a = flatBytes(saved);
                ByteBuffer g = flatBytes(dOut);
                inBlocks(saved.length(), (off, len) -> HostVectors.reluGrad(a, off, g, off, len));
                return dOut;
            }
            return Ops.reluBackwardInPlace(saved, dOut);
        }
        INDArray x = saved;
        INDArray cdf = erfInPlace(x.mul(INV_SQRT2)).addi(1.0).muli(0.5);             // Phi(x)
        INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI); // phi(x)
        return dOut.muli(cdf.addi(pdf.muli(x)));
    }

    /** Elements per parallel block of the host ReLU. */
    private static final int BLOCK = 1 << 14;

    /**
     * ReLU in place on host memory, on SIMD lanes ({@link HostVectors#relu}): ND4J's relu op and its
     * backward (a Step mask, then a multiply) cost 0.15-0.5 ms per call at a FFN's [2048, 256-1024]
     * here, ~10% of a SHARCS width-0.25 layer's time.
     */
    private static INDArray hostRelu(INDArray h) {
        ByteBuffer b = flatBytes(h);
        inBlocks(h.length(), (off, len) -> HostVectors.relu(b, off, len));
        return h;
    }

    /** Runs {@code body(offset, length)} over [0, n) in blocks of {@link #BLOCK}, split over the task's threads. */
    private static void inBlocks(long n, java.util.function.BiConsumer<Integer, Integer> body) {
        int blocks = (int) ((n + BLOCK - 1) / BLOCK);
        HostParallel.forRange(blocks, n, (from, to) -> {
            int off = from * BLOCK;
            body.accept(off, (int) Math.min((long) to * BLOCK, n) - off);
        });
    }

    private static ByteBuffer flatBytes(INDArray a) {
        return HostRows.flat(a, 1, (int) a.length()).bytes();
    }

    private static INDArray erfInPlace(INDArray x) {
        Nd4j.exec(new Erf(x, x));
        return x;
    }
}
