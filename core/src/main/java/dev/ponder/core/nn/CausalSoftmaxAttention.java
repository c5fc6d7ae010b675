package dev.ponder.core.nn;

import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attention core for all B*H heads at once: O = softmax(scale * Q K^T + causal mask) V on
 * [BH, T, dh] arrays, with batched matmuls (one ND4J op each instead of B*H small ones).
 * Scores are computed over the full T x T square (the FLOP convention counts it too).
 *
 * <p>The mask adds -1e9 above the diagonal, so masked probabilities are exactly 0 in float and
 * double and no infinities reach the backward pass. Holds only the cached mask rows.
 * The slow loop version for cross-checks is {@link AttentionReference}.
 */
public final class CausalSoftmaxAttention {
    private static final double MASKED = -1e9;
    private final Map<String, INDArray> masks = new HashMap<>();

    /** Post-RoPE q, k, the values, the attention probabilities p [BH, T, T] and the output o. */
    public record Saved(INDArray q, INDArray k, INDArray v, INDArray p, INDArray o, double scale) {}

    /** q, k, v [BH, T, dh] -> o [BH, T, dh]. */
    public Fwd<Saved> forward(INDArray q, INDArray k, INDArray v, double scale) {
        long bh = q.size(0);
        int t = (int) q.size(1);
        INDArray p = Ops.mm(q, k, false, true, scale);           // [BH, T, dh] x [BH, dh, T] -> [BH, T, T]
        p.reshape(bh, (long) t * t).addiRowVector(mask(t, q.dataType()));
        Ops.softmaxLastDimInPlace(p);
        INDArray o = Ops.mm(p, v, false, false);                 // [BH, T, T] x [BH, T, dh] -> [BH, T, dh]
        return new Fwd<>(o, new Saved(q, k, v, p, o, scale));
    }

    /**
     * dO [BH, T, dh] -> writes dq, dk, dv (preallocated [BH, T, dh], contiguous; may be slices of
     * one buffer). Softmax backward: dS = P * (dP - D) with D_i = rowsum(P * dP)_i, computed as
     * rowsum(dO * O)_i (FlashAttention's identity: sum_j P_ij dO_i.v_j = dO_i.o_i) over dh columns
     * instead of T, which saves two passes over the [BH, T, T] array.
     */
    public void backward(Saved s, INDArray dO, INDArray dq, INDArray dk, INDArray dv) {
        long bh = s.p().size(0);
        long t = s.p().size(1);
        long dh = dO.size(2);
        INDArray dP = Ops.mm(dO, s.v(), false, true);             // [BH, T, dh] x [BH, dh, T] -> [BH, T, T]
        Ops.gemm(s.p(), dO, dv, true, false, 1.0, 0.0);           // [BH, T, T]^T x [BH, T, dh] -> [BH, T, dh]
        INDArray rowDot = dO.reshape(bh * t, dh).mul(s.o().reshape(bh * t, dh)).sum(true, 1); // [BH*T, 1]
        dP.reshape(bh * t, t).subiColumnVector(rowDot).muli(s.p().reshape(bh * t, t));      // dS, in place
        Ops.gemm(dP, s.k(), dq, false, false, s.scale(), 0.0);    // [BH, T, T] x [BH, T, dh] -> [BH, T, dh]
        Ops.gemm(dP, s.q(), dk, true, false, s.scale(), 0.0);     // [BH, T, T]^T x [BH, T, dh] -> [BH, T, dh]
    }

    /** Row-major [T * T] additive mask: 0 where key <= query, -1e9 above the diagonal. */
    private INDArray mask(int t, DataType dtype) {
        return masks.computeIfAbsent(t + ":" + dtype, k -> {
            double[] m = new double[t * t];
            for (int i = 0; i < t; i++) {
                for (int j = i + 1; j < t; j++) {
                    m[i * t + j] = MASKED;
                }
            }
            try (MemoryWorkspace ignored = StepWorkspace.outside()) {
                return Nd4j.createFromArray(m).castTo(dtype);
            }
        });
    }
}
