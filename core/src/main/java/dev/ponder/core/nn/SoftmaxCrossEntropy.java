package dev.ponder.core.nn;

import dev.ponder.core.tensor.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Cross-entropy of a block of logits z [n, V] against integer targets, in place, in three passes
 * over the block: argmax, ND4J's softmax op (which subtracts the row max), and a scatter of -1 at
 * the targets for the gradient softmax - onehot.
 *
 * <p>The loss is exact and stable without a log-softmax pass: with m = max z and s = sum exp(z - m),
 * softmax at the argmax is exactly 1/s (never below 1/V, so it cannot underflow), hence
 * loss = log s - (z_target - m) = -log p_argmax - (z_target - m).
 *
 * <p>Measured on [4096, 8192]: ND4J's log_softmax op took 710 ms and its
 * sparse_softmax_cross_entropy ops 1.2 s + 0.5 s; its softmax op 74 ms.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {}

    /**
     * Sum over rows of -log softmax(z)[i, targets[from + i]]. Overwrites {@code logits} with
     * softmax - onehot when {@code withGrad} (unscaled: callers fold the 1/N into their gemms), else
     * with the softmax.
     */
    public static double inPlace(INDArray logits, int[] targets, int from, boolean withGrad) {
        return inPlace(logits, targets, from, withGrad, null);
    }

    /** As above; when {@code rowLoss} is given, row i's cross-entropy is written to rowLoss[from + i]. */
    public static double inPlace(INDArray logits, int[] targets, int from, boolean withGrad, double[] rowLoss) {
        int n = (int) logits.size(0);
        long v = logits.size(1);
        long[] argmax = Nd4j.argMax(logits, 1).toLongVector();
        int[] idx = new int[2 * n];                                      // targets, then argmaxes
        for (int i = 0; i < n; i++) {
            int y = targets[from + i];
            if (y < 0 || y >= v) {
                throw new IllegalArgumentException("cross-entropy: expected targets in [0, " + v + "), found " + y);
            }
            idx[i] = Math.toIntExact(i * v + y);
            idx[n + i] = Math.toIntExact(i * v + argmax[i]);
        }
        INDArray flat = logits.reshape((long) n * v);                   // [n*V] view
        INDArray flatIdx = Nd4j.createFromArray(idx);
        double[] before = Ops.gatherFlat(flat, flatIdx).toDoubleVector(); // z_target, z_max
        Ops.softmaxLastDimInPlace(logits);
        INDArray maxIdx = flatIdx.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(n, 2 * n));
        double[] pMax = Ops.gatherFlat(flat, maxIdx).toDoubleVector();
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double li = -Math.log(pMax[i]) - (before[i] - before[n + i]);
            loss += li;
            if (rowLoss != null) {
                rowLoss[from + i] = li;
            }
        }
        if (withGrad) {
            INDArray targetIdx = flatIdx.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n));
            Ops.scatterAdd(flat, targetIdx, Nd4j.valueArrayOf(new long[] {n}, -1.0, logits.dataType()));
        }
        return loss;
    }
}
