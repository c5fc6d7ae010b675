package dev.ponder.core.nn;

import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The attention core for all B*H heads at once: O = softmax(scale * Q K^T + causal mask) V on
 * [BH, T, dh] arrays, with batched matmuls (one ND4J op per block instead of B*H small ones).
 *
 * <p>Causal blocking: queries are split into blocks of {@code blockRows}; block r (rows
 * [r0, r1)) only meets keys [0, r1), so the all-masked upper-right blocks are never computed. With
 * T = 256 and 128-row blocks that skips a quarter of the score/value matmuls and of the softmax
 * work. (The analytic FLOP convention still counts the full T x T square.) One block = the plain
 * full-square computation.
 *
 * <p>The mask adds -1e9 above the diagonal, so masked probabilities are exactly 0 in float and
 * double and no infinities reach the backward pass. Holds only cached masks. FLOAT arrays on the
 * CPU run on the fused host kernel ({@link CausalAttentionKernel}); the whole-array ND4J path here is
 * its reference (and serves double precision and other backends). The slow loop version for
 * cross-checks is {@link AttentionReference}.
 */
public final class CausalSoftmaxAttention {
    /** Query rows per block; measured on dense-tiny (T 256, dh 64). */
    public static final int DEFAULT_BLOCK_ROWS = 128;
    private static final double MASKED = -1e9;

    private final int blockRows;
    private final Map<String, INDArray> masks = new HashMap<>();

    public CausalSoftmaxAttention() {
        this(DEFAULT_BLOCK_ROWS);
    }

    public CausalSoftmaxAttention(int blockRows) {
        if (blockRows < 1) {
            throw new IllegalArgumentException("attention block rows: expected >= 1, found " + blockRows);
        }
        this.blockRows = blockRows;
    }

    /**
     * Post-RoPE q, k, the values [BH, T, dh], per query block the probabilities p[r]
     * [BH, rows_r, keys_r] and the output o [BH, T, dh].
     */
    public record Saved(INDArray q, INDArray k, INDArray v, INDArray[] p, INDArray o, double scale) {}

    /** q, k, v [BH, T, dh] -> o [BH, T, dh]. */
    public Fwd<Saved> forward(INDArray q, INDArray k, INDArray v, double scale) {
        return forward(q, k, v, scale, CausalAttentionKernel.serves(q, k, v));
    }

    /** As above; {@code fused}: on the host kernel ({@link CausalAttentionKernel}), else the ND4J reference. */
    Fwd<Saved> forward(INDArray q, INDArray k, INDArray v, double scale, boolean fused) {
        long bh = q.size(0);
        int t = (int) q.size(1);
        INDArray o = Nd4j.createUninitialized(q.dataType(), q.shape());
        if (fused) {
            INDArray[] p = probabilityBlocks(bh, t, q.dataType());
            CausalAttentionKernel.forward(q, k, v, p, o, scale, blockRows);
            return new Fwd<>(o, new Saved(q, k, v, p, o, scale));
        }
        int blocks = (t + blockRows - 1) / blockRows;
        INDArray[] p = new INDArray[blocks];
        for (int r = 0; r < blocks; r++) {
            int r0 = r * blockRows;
            int r1 = Math.min(t, r0 + blockRows);
            // [BH, rows, dh] x [BH, dh, r1] -> [BH, rows, r1]
            p[r] = Ops.mm(rows(q, r0, r1, blocks), rows(k, 0, r1, blocks), false, true, scale);
            // [BH, rows * r1] + [rows * r1]
            p[r].reshape(bh, (long) (r1 - r0) * r1).addiRowVector(mask(r0, r1, q.dataType()));
            Ops.softmaxLastDimInPlace(p[r]);
            // [BH, rows, r1] x [BH, r1, dh] -> [BH, rows, dh], straight into o's rows (a strided view)
            Ops.gemm(p[r], rows(v, 0, r1, blocks), rows(o, r0, r1, blocks), false, false, 1.0, 0.0);
        }
        return new Fwd<>(o, new Saved(q, k, v, p, o, scale));
    }

    /**
     * dO [BH, T, dh] -> writes dq, dk, dv (preallocated [BH, T, dh], contiguous; may be slices of
     * one buffer). Softmax backward: dS = P * (dP - D) with D_i = rowsum(P * dP)_i, computed as
     * rowsum(dO * O)_i (FlashAttention's identity: sum_j P_ij dO_i.v_j = dO_i.o_i) over dh columns
     * instead of T, which saves two passes over the probabilities. Blocks run last to first: the
     * last one spans all keys and initialises dk and dv (gemm beta 0), earlier ones accumulate into
     * their leading rows (beta 1), so nothing is zeroed or added in separate passes.
     */
    public void backward(Saved s, INDArray dO, INDArray dq, INDArray dk, INDArray dv) {
        boolean fused = CausalAttentionKernel.serves(s.q(), s.k(), s.v(), s.o(), dO, dq, dk, dv)
                && CausalAttentionKernel.serves(s.p());
        backward(s, dO, dq, dk, dv, fused);
    }

    /** As above; {@code fused}: on the host kernel, else the ND4J reference. */
    void backward(Saved s, INDArray dO, INDArray dq, INDArray dk, INDArray dv, boolean fused) {
        if (fused) {
            CausalAttentionKernel.backward(s, dO, dq, dk, dv, blockRows);
            return;
        }
        long bh = dO.size(0);
        int t = (int) dO.size(1);
        long dh = dO.size(2);
        int blocks = s.p().length;
        // [BH*T, dh] * [BH*T, dh] summed over dh -> [BH, T]
        INDArray rowDot = dO.reshape(bh * t, dh).mul(s.o().reshape(bh * t, dh)).sum(1).reshape(bh, t);
        for (int r = blocks - 1; r >= 0; r--) {
            int r0 = r * blockRows;
            int r1 = Math.min(t, r0 + blockRows);
            long rows = r1 - r0;
            double beta = r == blocks - 1 ? 0.0 : 1.0;
            INDArray pr = s.p()[r];
            INDArray dOr = rows(dO, r0, r1, blocks);
            // [BH, rows, dh] x [BH, dh, r1] -> [BH, rows, r1]
            INDArray dP = Ops.mm(dOr, rows(s.v(), 0, r1, blocks), false, true);
            // [BH, r1, rows] x [BH, rows, dh] -> [BH, r1, dh]
            Ops.gemm(pr, dOr, rows(dv, 0, r1, blocks), true, false, 1.0, beta);
            INDArray dRow = blocks == 1 ? rowDot : rowDot.get(NDArrayIndex.all(), NDArrayIndex.interval(r0, r1)).dup('c');
            // dS in place: [BH*rows, r1] - [BH*rows, 1], times P
            dP.reshape(bh * rows, r1).subiColumnVector(dRow.reshape(bh * rows, 1)).muli(pr.reshape(bh * rows, r1));
            // [BH, rows, r1] x [BH, r1, dh] -> [BH, rows, dh]
            Ops.gemm(dP, rows(s.k(), 0, r1, blocks), rows(dq, r0, r1, blocks), false, false, s.scale(), 0.0);
            // [BH, r1, rows] x [BH, rows, dh] -> [BH, r1, dh]
            Ops.gemm(dP, rows(s.q(), r0, r1, blocks), rows(dk, 0, r1, blocks), true, false, s.scale(), beta);
        }
    }

    /** Uninitialised probability blocks p[r] [BH, rows_r, r1] for T = t (the host kernel fills them). */
    INDArray[] probabilityBlocks(long bh, int t, DataType dtype) {
        int blocks = (t + blockRows - 1) / blockRows;
        INDArray[] p = new INDArray[blocks];
        for (int r = 0; r < blocks; r++) {
            int r1 = Math.min(t, (r + 1) * blockRows);
            p[r] = Nd4j.createUninitialized(dtype, bh, r1 - r * blockRows, r1);
        }
        return p;
    }

    int blockRows() {
        return blockRows;
    }

    /** Rows [r0, r1) of every head: a view of x [BH, T, dh] (x itself when there is one block). */
    private static INDArray rows(INDArray x, int r0, int r1, int blocks) {
        if (blocks == 1 || (r0 == 0 && r1 == x.size(1))) {
            return x;
        }
        INDArrayIndex all = NDArrayIndex.all();
        return x.get(all, NDArrayIndex.interval(r0, r1), all);
    }

    /** Row-major [(r1 - r0) * r1] additive mask for queries [r0, r1) over keys [0, r1). */
    private INDArray mask(int r0, int r1, DataType dtype) {
        return masks.computeIfAbsent(r0 + ":" + r1 + ":" + dtype, key -> {
            int rows = r1 - r0;
            double[] m = new double[rows * r1];
            for (int i = 0; i < rows; i++) {
                for (int j = r0 + i + 1; j < r1; j++) {
                    m[i * r1 + j] = MASKED;
                }
            }
            try (MemoryWorkspace ignored = StepWorkspace.outside()) {
                return Nd4j.createFromArray(m).castTo(dtype);
            }
        });
    }
}
