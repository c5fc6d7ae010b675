package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.HostGemm;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Output projection to the vocabulary plus cross-entropy, fused and processed in row chunks:
 * logits = x W^T (+ b), W [V, d]. Training never materialises the [N, V] logits: each chunk of rows
 * computes its logits into one reused buffer, turns them into dlogits in place and immediately
 * backpropagates (dx rows, dW += dlogits^T x). Peak memory is one [chunk, V] block instead of two
 * [N, V] arrays (256 MB for dense-tiny in float), and the block stays warm in cache.
 *
 * <p>Width slicing (SHARCS): an input x [N, dW] with dW < d uses the leading columns W[:, :dW]
 * (on the CPU read in place as a strided block; elsewhere copied once per call into a contiguous
 * [V, dW] block), so every chunk's gemm has the sliced shape, and accumulates its gradient into the
 * same columns.
 */
public final class LmHead {
    /**
     * Logit elements per chunk (16 MB in float): 512 rows at V = 8192. Measured from 64 to 1024 rows
     * per chunk at a SHARCS head's widths 64 and 256 (2048 rows): 512 within 1-3% of the fastest at
     * both, 256 rows 15% slower at width 64 (its gemms too short to run well).
     */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 22;

    private final Param weight;
    private final Param bias; // may be null
    private final int dim;
    private final int vocab;
    private final long chunkElements;

    /** Registers "{name}.weight" [V, d] (and "{name}.bias" [V]). */
    public LmHead(ParamRegistry reg, String name, int dim, int vocab, boolean withBias, Init init) {
        this(reg.add(name + ".weight", init, vocab, dim), withBias ? reg.add(name + ".bias", Init.zeros(), vocab) : null);
    }

    /** Uses an existing weight [V, d], e.g. the token embedding for tied embeddings. */
    public LmHead(Param weight, Param bias) {
        this(weight, bias, DEFAULT_CHUNK_ELEMENTS);
    }

    /** As above with an explicit chunk size in logit elements (tests use tiny chunks). */
    public LmHead(Param weight, Param bias, long chunkElements) {
        if (chunkElements < 1) {
            throw new IllegalArgumentException("lm head chunk: expected >= 1 elements, found " + chunkElements);
        }
        this.chunkElements = chunkElements;
        this.weight = weight;
        this.bias = bias;
        this.vocab = (int) weight.size(0);
        this.dim = (int) weight.size(1);
    }

    /** Summed cross-entropy over rows and, in training, the gradient with respect to x. */
    public record Result(double lossSum, INDArray dx) {}

    /**
     * x [N, d], targets[N] -> summed CE and dx [N, d] of (gradScale * summed CE); accumulates
     * gradScale * d(summed CE)/dW (and /db). Use gradScale = 1/N for a mean loss.
     */
    public Result lossAndGrad(INDArray x, int[] targets, double gradScale) {
        return lossAndGrad(x, targets, gradScale, null);
    }

    /** As above; x may be a width slice [N, dW], and {@code rowLoss} (when given) receives each row's CE. */
    public Result lossAndGrad(INDArray x, int[] targets, double gradScale, double[] rowLoss) {
        return run(x, targets, true, gradScale, null, rowLoss);
    }

    /** Summed CE without gradients; when {@code logitsOut} [N, V] is given it receives the raw logits. */
    public double loss(INDArray x, int[] targets, INDArray logitsOut) {
        return loss(x, targets, logitsOut, null);
    }

    /** As above; x may be a width slice [N, dW], and {@code rowLoss} (when given) receives each row's CE. */
    public double loss(INDArray x, int[] targets, INDArray logitsOut, double[] rowLoss) {
        return run(x, targets, false, 0.0, logitsOut, rowLoss).lossSum();
    }

    /** Raw logits x W^T (+ b) as a new [N, V] array (x may be a width slice [N, dW]). */
    public INDArray logits(INDArray x) {
        int dW = inputWidth(x);
        INDArray out = Ops.mm(x, weightSlice(dW), false, true);        // [N, dW] x [dW, V] -> [N, V]
        if (bias != null) {
            out.addiRowVector(bias.value());
        }
        return out;
    }

    private int inputWidth(INDArray x) {
        if (x.rank() != 2 || x.size(1) < 1 || x.size(1) > dim) {
            throw new IllegalArgumentException("lm head input: expected shape [N, <= " + dim + "], found "
                    + java.util.Arrays.toString(x.shape()));
        }
        return (int) x.size(1);
    }

    /**
     * W[:, :dW]: the weight itself at full width; else on the CPU the strided view of its leading
     * columns (CBLAS reads it in place), elsewhere a contiguous copy.
     */
    private INDArray weightSlice(int dW) {
        if (dW == dim) {
            return weight.value();
        }
        INDArray block = Views.block(weight.value(), 0, vocab, dW);
        return HostGemm.available(block) ? block : block.dup('c');
    }

    private Result run(INDArray x, int[] targets, boolean train, double gradScale, INDArray logitsOut,
                       double[] rowLoss) {
        int dW = inputWidth(x);
        int n = (int) x.size(0);
        Shapes.requireEqual(targets.length, n, "lm head targets");
        if (rowLoss != null) {
            Shapes.requireEqual(rowLoss.length, n, "lm head per-row loss array");
        }
        int chunk = (int) Math.max(1, Math.min(n, chunkElements / vocab));
        INDArray buf = Nd4j.createUninitialized(x.dataType(), chunk, vocab);
        INDArray dx = train ? Nd4j.createUninitialized(x.dataType(), n, dW) : null;
        INDArray w = weightSlice(dW);                                   // [V, dW]
        // The gradient of a sliced weight accumulates in a contiguous block, added to W's columns once.
        // On the CPU the gradient's leading columns are accumulated in place (CBLAS writes strided blocks).
        boolean inPlace = dW == dim || HostGemm.hostMatrix(x) != null;
        INDArray gw = !train ? null : dW == dim ? weight.grad()
                : inPlace ? Views.block(weight.grad(), 0, vocab, dW) : Nd4j.zeros(x.dataType(), vocab, dW);
        double loss = 0;
        for (int r0 = 0; r0 < n; r0 += chunk) {
            try (StepWorkspace scratch = StepWorkspace.scratch()) {
                loss += chunk(x, targets, train, gradScale, logitsOut, rowLoss, w, gw, buf, dx, r0,
                        Math.min(chunk, n - r0));
            }
        }
        if (train && !inPlace) {
            Views.block(weight.grad(), 0, vocab, dW).addi(gw);
        }
        return new Result(loss, dx);
    }

    /** One chunk of rows [r0, r0 + rows): logits into buf, CE, and in training its backward. */
    private double chunk(INDArray x, int[] targets, boolean train, double gradScale, INDArray logitsOut,
                         double[] rowLoss, INDArray w, INDArray gw, INDArray buf, INDArray dx, int r0, int rows) {
        INDArray xs = x.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all());    // [rows, dW]
        INDArray z = rows == buf.size(0) ? buf : buf.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
        Ops.gemm(xs, w, z, false, true, 1.0, 0.0);                       // [rows, dW] x [dW, V] -> [rows, V]
        if (bias != null) {
            z.addiRowVector(bias.value());
        }
        if (logitsOut != null) {
            logitsOut.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all()).assign(z);
        }
        double loss = SoftmaxCrossEntropy.inPlace(z, targets, r0, train, rowLoss);  // z := softmax - onehot
        if (train) {
            // The 1/N of the mean loss rides on the gemms' alpha instead of a pass over z.
            INDArray dxs = dx.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all());
            HostGemm.Mat zm = HostGemm.hostMatrix(z);
            HostGemm.Mat wm = HostGemm.hostMatrix(w);
            HostGemm.Mat xm = HostGemm.hostMatrix(xs);
            HostGemm.Mat dxm = HostGemm.hostMatrix(dxs);
            HostGemm.Mat gwm = HostGemm.hostMatrix(gw);
            if (zm != null && wm != null && xm != null && dxm != null && gwm != null) {
                // the two products of the chunk's backward read z only: side by side (HostGemm.inTwoLanes)
                Ops.gemmsInTwoLanes(
                        List.of(new HostGemm.Call(zm, false, wm, false, dxm, gradScale, 0.0)),   // [rows, V] x [V, dW]
                        List.of(new HostGemm.Call(zm, true, xm, false, gwm, gradScale, 1.0)));   // [V, rows] x [rows, dW]
            } else {
                Ops.gemm(z, w, dxs, false, false, gradScale, 0.0);          // [rows, V] x [V, dW] -> [rows, dW]
                Ops.gemm(z, xs, gw, true, false, gradScale, 1.0);           // [V, rows] x [rows, dW] -> [V, dW]
            }
            if (bias != null) {
                Ops.addColumnSums(z, bias.grad(), gradScale);
            }
        }
        return loss;
    }
}
