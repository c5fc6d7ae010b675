package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import dev.ponder.core.tensor.StepWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Output projection to the vocabulary plus cross-entropy, fused and processed in row chunks:
 * logits = x W^T (+ b), W [V, d]. Training never materialises the [N, V] logits: each chunk of rows
 * computes its logits into one reused buffer, turns them into dlogits in place and immediately
 * backpropagates (dx rows, dW += dlogits^T x). Peak memory is one [chunk, V] block instead of two
 * [N, V] arrays (256 MB for dense-tiny in float), and the block stays warm in cache.
 */
public final class LmHead {
    /** Logit elements per chunk (8 MB in float): 256 rows at V = 8192. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 21;

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
        return run(x, targets, true, gradScale, null);
    }

    /** Summed CE without gradients; when {@code logitsOut} [N, V] is given it receives the raw logits. */
    public double loss(INDArray x, int[] targets, INDArray logitsOut) {
        return run(x, targets, false, 0.0, logitsOut).lossSum();
    }

    /** Raw logits x W^T (+ b) as a new [N, V] array. */
    public INDArray logits(INDArray x) {
        Shapes.requireCols(x, "lm head input", dim);
        INDArray out = Ops.mm(x, weight.value(), false, true);          // [N, d] x [d, V] -> [N, V]
        if (bias != null) {
            out.addiRowVector(bias.value());
        }
        return out;
    }

    private Result run(INDArray x, int[] targets, boolean train, double gradScale, INDArray logitsOut) {
        int n = (int) Shapes.requireCols(x, "lm head input", dim);
        Shapes.requireEqual(targets.length, n, "lm head targets");
        int chunk = (int) Math.max(1, Math.min(n, chunkElements / vocab));
        INDArray buf = Nd4j.createUninitialized(x.dataType(), chunk, vocab);
        INDArray dx = train ? Nd4j.createUninitialized(x.dataType(), n, dim) : null;
        double loss = 0;
        for (int r0 = 0; r0 < n; r0 += chunk) {
            try (StepWorkspace scratch = StepWorkspace.scratch()) {
                loss += chunk(x, targets, train, gradScale, logitsOut, buf, dx, r0, Math.min(chunk, n - r0));
            }
        }
        return new Result(loss, dx);
    }

    /** One chunk of rows [r0, r0 + rows): logits into buf, CE, and in training its backward. */
    private double chunk(INDArray x, int[] targets, boolean train, double gradScale, INDArray logitsOut,
                         INDArray buf, INDArray dx, int r0, int rows) {
        INDArray xs = x.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all());    // [rows, d]
        INDArray z = rows == buf.size(0) ? buf : buf.get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
        Ops.gemm(xs, weight.value(), z, false, true, 1.0, 0.0);          // [rows, d] x [d, V] -> [rows, V]
        if (bias != null) {
            z.addiRowVector(bias.value());
        }
        if (logitsOut != null) {
            logitsOut.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all()).assign(z);
        }
        double loss = SoftmaxCrossEntropy.inPlace(z, targets, r0, train);  // z := softmax - onehot
        if (train) {
            // The 1/N of the mean loss rides on the gemms' alpha instead of a pass over z.
            INDArray dxs = dx.get(NDArrayIndex.interval(r0, r0 + rows), NDArrayIndex.all());
            Ops.gemm(z, weight.value(), dxs, false, false, gradScale, 0.0); // [rows, V] x [V, d] -> [rows, d]
            Ops.gemm(z, xs, weight.grad(), true, false, gradScale, 1.0);    // [V, rows] x [rows, d] -> [V, d]
            if (bias != null) {
                Ops.addColumnSums(z, bias.grad(), gradScale);
            }
        }
        return loss;
    }
}
