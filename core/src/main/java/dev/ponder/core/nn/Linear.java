package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * y = x W^T + b with W stored [out, in] (PyTorch layout, so export is a copy).
 *
 * <p>Width slicing (SHARCS): {@link #forward(INDArray, int, int)} uses only the leading block
 * W[:outW, :inW] (and b[:outW]); gradients land in the same block of the full gradient. The
 * full-width path writes the weight gradient straight into the gradient buffer with one gemm
 * (beta = 1 accumulates); a sliced gradient view is strided, so that path goes through a temporary.
 */
public final class Linear {
    private final String name;
    private final Param weight;
    private final Param bias; // null when the layer has no bias

    /** Registers "{name}.weight" [out, in] (and "{name}.bias" [out] when {@code withBias}). */
    public Linear(ParamRegistry reg, String name, int in, int out, boolean withBias, Init init) {
        this(name, reg.add(name + ".weight", init, out, in),
                withBias ? reg.add(name + ".bias", Init.zeros(), out) : null);
    }

    /** Wraps existing parameters (a stacked q/k/v weight, or a weight tied to the embedding). */
    public Linear(String name, Param weight, Param bias) {
        if (weight.shape().length != 2) {
            throw new IllegalArgumentException(name + ": expected a 2-D weight, found " + weight);
        }
        if (bias != null && (bias.shape().length != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException(name + ": expected bias [" + weight.size(0) + "], found " + bias);
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    /** What backward needs: the input and the widths used. */
    public record Saved(INDArray x, int inW, int outW) {}

    public int in() {
        return (int) weight.size(1);
    }

    public int out() {
        return (int) weight.size(0);
    }

    public Param weight() {
        return weight;
    }

    public Param bias() {
        return bias;
    }

    /** Full width: x [N, in] -> y [N, out]. */
    public Fwd<Saved> forward(INDArray x) {
        return forward(x, in(), out());
    }

    /** Leading slice: x [N, inW] -> y [N, outW] using W[:outW, :inW]. */
    public Fwd<Saved> forward(INDArray x, int inW, int outW) {
        Shapes.requireRange(inW, 1, in(), name + " input width");
        Shapes.requireRange(outW, 1, out(), name + " output width");
        long n = Shapes.requireCols(x, name + " input", inW);
        INDArray y = Nd4j.createUninitialized(x.dataType(), n, outW);
        Ops.gemm(x, w(inW, outW), y, false, true, 1.0, 0.0); // [N, inW] x [inW, outW] -> [N, outW]
        if (bias != null) {
            y.addiRowVector(b(outW));
        }
        return new Fwd<>(y, new Saved(x, inW, outW));
    }

    /** dy [N, outW] -> dx [N, inW]; accumulates dW += dy^T x and db += sum_rows(dy). */
    public INDArray backward(Saved s, INDArray dy) {
        Shapes.requireCols(dy, name + " output gradient", s.outW());
        boolean full = s.inW() == in() && s.outW() == out();
        INDArray dx = Ops.mm(dy, w(s.inW(), s.outW()), false, false); // [N, outW] x [outW, inW] -> [N, inW]
        if (full) {
            Ops.gemm(dy, s.x(), weight.grad(), true, false, 1.0, 1.0); // [outW, N] x [N, inW] -> [outW, inW]
        } else {
            weight.grad().get(NDArrayIndex.interval(0, s.outW()), NDArrayIndex.interval(0, s.inW()))
                    .addi(Ops.mm(dy, s.x(), true, false));             // [outW, N] x [N, inW] -> [outW, inW]
        }
        if (bias != null) {
            INDArray gb = full ? bias.grad() : bias.grad().get(NDArrayIndex.interval(0, s.outW()));
            Ops.addColumnSums(dy, gb, 1.0);
        }
        return dx;
    }

    private INDArray w(int inW, int outW) {
        INDArray w = weight.value();
        return inW == in() && outW == out() ? w : w.get(NDArrayIndex.interval(0, outW), NDArrayIndex.interval(0, inW));
    }

    private INDArray b(int outW) {
        INDArray b = bias.value();
        return outW == out() ? b : b.get(NDArrayIndex.interval(0, outW));
    }
}
