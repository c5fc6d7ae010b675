package dev.ponder.core.routing;

import dev.ponder.core.tensor.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One matmul per expert over its contiguous rows of a gathered matrix (rows sorted by expert,
 * {@code offsets} [E + 1] from {@link SlotSort}). Experts without rows are skipped, so only routed
 * rows are ever multiplied.
 *
 * <p>Why a loop of 2-D gemms and not one padded batched gemm (measured on the 2-core build machine,
 * moeut-tiny shapes): 64 experts x [512, 256] x [256, 64] ran at the same rate as one [32768, 256] x
 * [256, 64] gemm and as the batched [64, 512, 256] x [64, 256, 64] one (within 5%), so padding every
 * expert to the largest one could only add work (expert max/mean load is 1.1-1.3 at initialisation
 * and grows in training) plus a copy into the padded layout.
 */
public final class ExpertMatmul {
    private ExpertMatmul() {}

    /**
     * For each expert e: y[rows of e] = x[rows of e] op(w[e]), with w [E, a, b], x [S, a] and y
     * [S, b] (or [S, a] from x [S, b] when {@code transposeW}). Returns the multiply-adds executed.
     */
    public static long forward(INDArray x, INDArray w, int[] offsets, INDArray y, boolean transposeW) {
        long macs = 0;
        for (int e = 0; e + 1 < offsets.length; e++) {
            int n = offsets[e + 1] - offsets[e];
            if (n == 0) {
                continue;
            }
            INDArray we = Views.matrix(w, e);
            // [n, a] x [a, b] -> [n, b]   (transposed: [n, b] x [b, a] -> [n, a])
            Ops.gemm(rows(x, offsets[e], n), we, rows(y, offsets[e], n), false, transposeW, 1.0, 0.0);
            macs += (long) n * we.length();
        }
        return macs;
    }

    /** For each expert e: dw[e] += x[rows of e]^T dy[rows of e] ([a, n] x [n, b] -> [a, b]). */
    public static long accumulateWeightGrad(INDArray x, INDArray dy, int[] offsets, INDArray dw) {
        long macs = 0;
        for (int e = 0; e + 1 < offsets.length; e++) {
            int n = offsets[e + 1] - offsets[e];
            if (n == 0) {
                continue;
            }
            INDArray dwe = Views.matrix(dw, e);
            Ops.gemm(rows(x, offsets[e], n), rows(dy, offsets[e], n), dwe, true, false, 1.0, 1.0);
            macs += (long) n * dwe.length();
        }
        return macs;
    }

    private static INDArray rows(INDArray m, int from, int n) {
        return Views.rows(m, from, n);
    }
}
