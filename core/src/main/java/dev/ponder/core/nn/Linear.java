package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.HostGemm;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x W^T + b with W stored [out, in] (PyTorch layout, so export is a copy).
 *
 * <p>Width slicing (SHARCS): {@link #forward(INDArray, int, int)} uses only the leading block
 * W[:outW, :inW] (and b[:outW]); gradients land in the same block of the full gradient, nothing
 * outside it moves. A weight made of {@code segments} stacked matrices (q, k and v as one
 * [3 H dh, d] weight) is sliced per segment: the leading outW / segments rows of each, so that a
 * narrow attention keeps the leading heads of q, k and v alike.
 *
 * <p>On the CPU (row-major FLOAT/DOUBLE input) forward and backward are CBLAS calls on the
 * parameter's blocks in place, full width or sliced; the weight gradient accumulates straight into
 * its (possibly strided) block with beta = 1, beside the dx gemms. Elsewhere the ND4J path runs,
 * with a sliced gradient through a temporary. Sliced blocks are explicit (buffer, shape, stride,
 * offset) views ({@link Views#block}), never ND4J's slice()/point indexing, which reads wrong
 * memory on parameter views in M2.1.
 */
public final class Linear {
    private final String name;
    private final Param weight;
    private final Param bias; // null when the layer has no bias
    private final int segments;

    /** Registers "{name}.weight" [out, in] (and "{name}.bias" [out] when {@code withBias}). */
    public Linear(ParamRegistry reg, String name, int in, int out, boolean withBias, Init init) {
        this(name, reg.add(name + ".weight", init, out, in),
                withBias ? reg.add(name + ".bias", Init.zeros(), out) : null);
    }

    /** Wraps existing parameters (a weight tied to the embedding). */
    public Linear(String name, Param weight, Param bias) {
        this(name, weight, bias, 1);
    }

    /**
     * Wraps existing parameters whose rows are {@code segments} stacked equal matrices (a stacked
     * q/k/v weight: segments = 3), which width slicing cuts per segment.
     */
    public Linear(String name, Param weight, Param bias, int segments) {
        if (weight.shape().length != 2) {
            throw new IllegalArgumentException(name + ": expected a 2-D weight, found " + weight);
        }
        if (bias != null && (bias.shape().length != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException(name + ": expected bias [" + weight.size(0) + "], found " + bias);
        }
        if (segments < 1 || weight.size(0) % segments != 0) {
            throw new IllegalArgumentException(name + ": expected a segment count dividing " + weight.size(0)
                    + " rows, found " + segments);
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.segments = segments;
    }

    /**
     * What backward needs: the input, the widths used and, when sliced, the weight slice the
     * forward multiplied by (a view, or for stacked weights a gathered copy).
     */
    public record Saved(INDArray x, int inW, int outW, INDArray w) {}

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

    /** Leading slice: x [N, inW] -> y [N, outW] using W[:outW, :inW] (per segment when stacked). */
    public Fwd<Saved> forward(INDArray x, int inW, int outW) {
        Shapes.requireRange(inW, 1, in(), name + " input width");
        Shapes.requireRange(outW, 1, out(), name + " output width");
        if (outW % segments != 0) {
            throw new IllegalArgumentException(name + " output width: expected a multiple of its " + segments
                    + " stacked segments, found " + outW);
        }
        long n = Shapes.requireCols(x, name + " input", inW);
        if (direct(x)) {
            return forwardHost(x, inW, outW);
        }
        INDArray w = full(inW, outW) ? weight.value() : slice(weight.value(), inW, outW);
        INDArray y = Nd4j.createUninitialized(x.dataType(), n, outW);
        Ops.gemm(x, w, y, false, true, 1.0, 0.0);                     // [N, inW] x [inW, outW] -> [N, outW]
        if (bias != null) {
            y.addiRowVector(full(inW, outW) ? bias.value() : sliceBias(bias.value(), outW));
        }
        return new Fwd<>(y, new Saved(x, inW, outW, w));
    }

    /** dy [N, outW] -> dx [N, inW]; accumulates dW += dy^T x and db += sum_rows(dy) into the used block. */
    public INDArray backward(Saved s, INDArray dy) {
        Shapes.requireCols(dy, name + " output gradient", s.outW());
        boolean full = full(s.inW(), s.outW());
        if (s.w() == null) {
            return backwardHost(s, dy);
        }
        INDArray dx = Ops.mm(dy, s.w(), false, false);                // [N, outW] x [outW, inW] -> [N, inW]
        if (full) {
            Ops.gemm(dy, s.x(), weight.grad(), true, false, 1.0, 1.0); // [outW, N] x [N, inW] -> [outW, inW]
            if (bias != null) {
                Ops.addColumnSums(dy, bias.grad(), 1.0);
            }
            return dx;
        }
        INDArray dw = Ops.mm(dy, s.x(), true, false);                 // [outW, N] x [N, inW] -> [outW, inW]
        INDArray db = null;
        if (bias != null) {
            db = Nd4j.zeros(dy.dataType(), s.outW());
            Ops.addColumnSums(dy, db, 1.0);                           // [outW]
        }
        int part = s.outW() / segments;
        int segRows = out() / segments;
        for (int g = 0; g < segments; g++) {
            Views.block(weight.grad(), (long) g * segRows, part, s.inW()).addi(Views.rows(dw, (long) g * part, part));
            if (db != null) {
                Views.range(bias.grad(), (long) g * segRows, part).addi(Views.range(db, (long) g * part, part));
            }
        }
        return dx;
    }

    /** Whether the sliced path can run CBLAS on the blocks in place (CPU, row-major operands). */
    private boolean direct(INDArray x) {
        return x.dataType() == weight.value().dataType() && HostGemm.hostMatrix(x) != null;
    }

    /**
     * The host forward (CPU, row-major x): one gemm per segment (full width: one for the whole
     * weight) straight from the possibly strided weight block into the segment's columns of y, no
     * copy of a slice, the segments run as one {@link HostGemm#sequence}. Saved.w is null: backward
     * reads the blocks again from the parameter.
     */
    private Fwd<Saved> forwardHost(INDArray x, int inW, int outW) {
        long n = x.size(0);
        INDArray y = Nd4j.createUninitialized(x.dataType(), n, outW);
        HostGemm.Mat xm = HostGemm.rowMajor(x);
        HostGemm.Mat ym = HostGemm.rowMajor(y);
        int groups = groups(inW, outW);
        int part = outW / groups;
        List<HostGemm.Call> calls = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            // [N, inW] x [inW, part] -> y[:, g part : (g + 1) part]
            calls.add(new HostGemm.Call(xm, false, weightBlock(weight.value(), groups, g, part, inW), true,
                    ym.cols(g * part, part), 1.0, 0.0));
        }
        Ops.gemms(calls);
        if (bias != null) {
            y.addiRowVector(full(inW, outW) ? bias.value() : sliceBias(bias.value(), outW));
        }
        return new Fwd<>(y, new Saved(x, inW, outW, null));
    }

    /**
     * dx = sum over segments of dy_g W_g (one lane of gemms); dW_g += dy_g^T x and db_g += column
     * sums of dy_g, in place (the other lane): the two lanes run side by side ({@link HostGemm#inTwoLanes}).
     */
    private INDArray backwardHost(Saved s, INDArray dy) {
        int groups = groups(s.inW(), s.outW());
        int part = s.outW() / groups;
        long n = dy.size(0);
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), n, s.inW());
        HostGemm.Mat dym = HostGemm.rowMajor(HostGemm.rowMajor(dy) != null ? dy : dy.dup('c'));
        HostGemm.Mat dxm = HostGemm.rowMajor(dx);
        HostGemm.Mat xm = HostGemm.rowMajor(s.x());
        HostGemm.Mat ones = bias == null ? null : HostGemm.rowMajor(Nd4j.ones(dy.dataType(), 1, n));
        HostGemm.Mat biasGrad = bias == null ? null : HostGemm.rowMajor(bias.grad().reshape(1, out()));
        int segRows = out() / groups;
        List<HostGemm.Call> dxCalls = new ArrayList<>(groups);
        List<HostGemm.Call> dwCalls = new ArrayList<>(2 * groups);
        for (int g = 0; g < groups; g++) {
            HostGemm.Mat dyg = dym.cols(g * part, part);                                   // [N, part]
            // [N, part] x [part, inW] -> [N, inW], summed over segments
            dxCalls.add(new HostGemm.Call(dyg, false, weightBlock(weight.value(), groups, g, part, s.inW()), false,
                    dxm, 1.0, g == 0 ? 0.0 : 1.0));
            // [part, N] x [N, inW] -> the segment's block of the weight gradient
            dwCalls.add(new HostGemm.Call(dyg, true, xm, false, weightBlock(weight.grad(), groups, g, part, s.inW()),
                    1.0, 1.0));
            if (bias != null) {
                // [1, N] x [N, part] -> the segment's range of the bias gradient
                dwCalls.add(new HostGemm.Call(ones, false, dyg, false, biasGrad.cols(g * segRows, part), 1.0, 1.0));
            }
        }
        Ops.gemmsInTwoLanes(dxCalls, dwCalls);
        return dx;
    }

    /** Full width is one block (the stacked segments are contiguous); a slice is cut per segment. */
    private int groups(int inW, int outW) {
        return full(inW, outW) ? 1 : segments;
    }

    /** Rows [g out/groups, g out/groups + part) and columns [0, inW) of a parameter [out, in], in place. */
    private HostGemm.Mat weightBlock(INDArray w, int groups, int g, int part, int inW) {
        return HostGemm.rowMajor(w).rows(g * (out() / groups), part).cols(0, inW);
    }

    private boolean full(int inW, int outW) {
        return inW == in() && outW == out();
    }

    /** W[:outW, :inW] per segment: a strided view, or for several segments a gathered [outW, inW] copy. */
    private INDArray slice(INDArray w, int inW, int outW) {
        if (segments == 1) {
            return Views.block(w, 0, outW, inW);
        }
        int part = outW / segments;
        int segRows = out() / segments;
        INDArray dst = Nd4j.createUninitialized(w.dataType(), outW, inW);
        for (int g = 0; g < segments; g++) {
            Views.rows(dst, (long) g * part, part).assign(Views.block(w, (long) g * segRows, part, inW));
        }
        return dst;
    }

    private INDArray sliceBias(INDArray b, int outW) {
        if (segments == 1) {
            return Views.range(b, 0, outW);
        }
        int part = outW / segments;
        int segRows = out() / segments;
        INDArray dst = Nd4j.createUninitialized(b.dataType(), outW);
        for (int g = 0; g < segments; g++) {
            Views.range(dst, (long) g * part, part).assign(Views.range(b, (long) g * segRows, part));
        }
        return dst;
    }
}
