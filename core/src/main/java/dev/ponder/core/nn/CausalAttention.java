package dev.ponder.core.nn;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal multi-head self-attention on x [B*T, d] with H heads of width dh (H*dh need not equal d:
 * the dense 44M control has d 412 and 10 heads of 41).
 *
 * <p>Parameters "{name}.q.weight", "{name}.k.weight", "{name}.v.weight" [H*dh, d] are registered
 * consecutively and used as one stacked [3*H*dh, d] matrix, so the three projections are one gemm;
 * "{name}.o.weight" is [d, H*dh]. Optional biases likewise. Steps:
 * qkv = x Wqkv^T; split heads with one permute copy; RoPE on q and k; the batched attention core;
 * merge heads with one permute copy; out = merged Wo^T.
 *
 * <p>Width slicing (SHARCS): {@link #forward(INDArray, int, int, int)} runs the leading
 * {@code heads} heads (head width unchanged) on an input of its leading columns: q, k and v use the
 * leading heads' rows of their weights and the input's columns, o the leading heads' columns and
 * the input width's rows. Every matmul then has the sliced shapes.
 *
 * <p>Explicit positions (Mixture-of-Depths: attention among a sequence's selected tokens only): the
 * B "sequences" are then subsequences whose rows keep their original positions for RoPE; the causal
 * mask is by row order, so each subsequence's rows must be in increasing position order.
 */
public final class CausalAttention {
    private final String name;
    private final int dim;
    private final int heads;
    private final int headDim;
    private final Linear qkv;
    private final Linear out;
    private final Rope rope;
    private final CausalSoftmaxAttention core = new CausalSoftmaxAttention();

    public CausalAttention(ParamRegistry reg, String name, int dim, int heads, int headDim, Rope rope,
                           boolean withBias, Init qkvInit, Init outInit) {
        this.name = name;
        this.dim = dim;
        this.heads = heads;
        this.headDim = headDim;
        this.rope = rope;
        int hd = heads * headDim;
        List<String> parts = List.of(name + ".q", name + ".k", name + ".v");
        Param w = reg.addStack(name + ".qkv.weight", parts.stream().map(p -> p + ".weight").toList(),
                qkvInit, true, hd, dim);
        Param b = withBias ? reg.addStack(name + ".qkv.bias", parts.stream().map(p -> p + ".bias").toList(),
                Init.zeros(), false, hd) : null;
        this.qkv = new Linear(name + ".qkv", w, b, 3);
        this.out = new Linear(reg, name + ".o", hd, dim, withBias, outInit);
    }

    /**
     * Everything backward needs; the arrays belong to the step ({@code rotation} null: positions
     * 0..T-1). On the host path {@code core} and {@code rotation} are null and {@code host} holds
     * the rotated projection, the merged heads and the probabilities.
     */
    public record Saved(Linear.Saved qkv, CausalSoftmaxAttention.Saved core, Linear.Saved out, int batch, int seqLen,
                        int heads, Rope.Rotation rotation, HostSaved host) {}

    /** The host path's saved arrays: proj [B*T, 3 H dh] (q, k rotated), merged [B*T, H dh], p per block. */
    public record HostSaved(INDArray proj, INDArray merged, INDArray[] p, int[] positions) {}

    /** false: always the ND4J path (the reference the host path is tested against). */
    private boolean hostPathAllowed = true;

    /** Tests: {@code false} forces the ND4J reference path in float too. */
    void allowHostPath(boolean allowed) {
        this.hostPathAllowed = allowed;
    }

    public int heads() {
        return heads;
    }

    /** x [B*T, d] -> [B*T, d], positions 0..T-1. */
    public Fwd<Saved> forward(INDArray x, int b, int t) {
        return forward(x, b, t, heads, null);
    }

    /** Width slice at positions 0..T-1 (see {@link #forward(INDArray, int, int, int, int[])}). */
    public Fwd<Saved> forward(INDArray x, int b, int t, int heads) {
        return forward(x, b, t, heads, null);
    }

    /** All heads at explicit positions (see {@link #forward(INDArray, int, int, int, int[])}). */
    public Fwd<Saved> forward(INDArray x, int b, int t, int[] positions) {
        return forward(x, b, t, heads, positions);
    }

    /**
     * x [B*T, dW] (dW <= d, the leading columns of the model width) -> [B*T, dW] with the leading
     * {@code heads} heads (H in the shape comments below means the heads run); {@code positions}
     * [B*T] is each row's position in its original sequence (null: 0..T-1).
     */
    public Fwd<Saved> forward(INDArray x, int b, int t, int heads, int[] positions) {
        Shapes.requireRange(heads, 1, this.heads, name + " heads");
        if (x.rank() != 2 || x.size(0) != (long) b * t || x.size(1) > dim) {
            throw new IllegalArgumentException(name + " input: expected shape [" + ((long) b * t) + ", <= " + dim
                    + "], found " + java.util.Arrays.toString(x.shape()));
        }
        int dW = (int) x.size(1);
        long t0 = PhaseTimer.start();
        Fwd<Linear.Saved> proj = qkv.forward(x, dW, 3 * heads * headDim); // [B*T, dW] x [dW, 3*H*dh] -> [B*T, 3*H*dh]
        t0 = PhaseTimer.stop("attn proj", t0);
        if (hostPathAllowed && HostRows.contiguous(proj.out())) {
            return forwardHost(proj, b, t, heads, positions, dW, t0);
        }
        INDArray split = Nd4j.createUninitialized(x.dataType(), 3, b, heads, t, headDim);
        Ops.permuteInto(proj.out().reshape(b, t, 3, heads, headDim), split, 2, 0, 3, 1, 4); // -> [3, B, H, T, dh]
        // [2, B, H, T, dh] view -> [2*B*H, T, dh]
        INDArray qk = split.get(NDArrayIndex.interval(0, 2)).reshape(2L * b * heads, t, headDim);
        Rope.Rotation rot = positions == null ? null : rope.rotation(positions, b, heads, t, x.dataType());
        if (positions == null) {
            rope.forwardInPlace(qk);                                   // q and k together: [2*B*H, T, dh]
        } else {
            rope.forwardInPlace(qk, rot);
        }
        INDArray byHead = split.reshape(3, (long) b * heads, t, headDim);  // [3, B, H, T, dh] -> [3, B*H, T, dh]
        t0 = PhaseTimer.stop("attn heads+rope", t0);
        Fwd<CausalSoftmaxAttention.Saved> att = core.forward(
                byHead.slice(0), byHead.slice(1), byHead.slice(2), 1.0 / Math.sqrt(headDim)); // -> [B*H, T, dh]
        t0 = PhaseTimer.stop("attn core", t0);
        INDArray merged = Nd4j.createUninitialized(x.dataType(), b, t, heads, headDim);
        Ops.permuteInto(att.out().reshape(b, heads, t, headDim), merged, 0, 2, 1, 3); // -> [B, T, H, dh]
        // [B*T, H*dh] x [H*dh, dW] -> [B*T, dW]
        t0 = PhaseTimer.stop("attn heads+rope", t0);
        Fwd<Linear.Saved> o = out.forward(merged.reshape((long) b * t, (long) heads * headDim), heads * headDim, dW);
        PhaseTimer.stop("attn proj", t0);
        return new Fwd<>(o.out(), new Saved(proj.saved(), att.saved(), o.saved(), b, t, heads, rot, null));
    }

    /**
     * The host path (FLOAT, CPU): RoPE rotates q and k where the projection wrote them, the fused
     * core ({@link CausalAttentionKernel}) reads each head's q, k, v blocks from the projection and
     * writes its output into the merged [B*T, H*dh] layout the output projection reads: no
     * head-split or merge copies (two permute passes forward and two backward on the ND4J path).
     */
    private Fwd<Saved> forwardHost(Fwd<Linear.Saved> proj, int b, int t, int heads, int[] positions, int dW, long t0) {
        INDArray p3 = proj.out();                                          // [B*T, 3*H*dh]
        int hd = heads * headDim;
        rope.rotateHeadsInPlace(HostRows.of(p3), 0, 2 * heads, t, positions, false);   // q and k heads
        t0 = PhaseTimer.stop("attn heads+rope", t0);
        INDArray merged = Nd4j.createUninitialized(p3.dataType(), (long) b * t, hd);    // [B*T, H*dh]
        INDArray[] p = core.probabilityBlocks((long) b * heads, t, p3.dataType());
        CausalAttentionKernel.Heads[] qkvHeads = projectionHeads(p3, heads, t);
        CausalAttentionKernel.forward(qkvHeads[0], qkvHeads[1], qkvHeads[2], p, heads(merged, 0, hd, heads, t),
                1.0 / Math.sqrt(headDim), core.blockRows());
        t0 = PhaseTimer.stop("attn core", t0);
        Fwd<Linear.Saved> o = out.forward(merged, hd, dW);                 // [B*T, H*dh] x [H*dh, dW] -> [B*T, dW]
        PhaseTimer.stop("attn proj", t0);
        return new Fwd<>(o.out(), new Saved(proj.saved(), null, o.saved(), b, t, heads, null,
                new HostSaved(p3, merged, p, positions)));
    }

    private CausalAttentionKernel.Heads heads(INDArray base, int col, int ld, int heads, int t) {
        return new CausalAttentionKernel.Heads(base, col, ld, heads, t, headDim);
    }

    /** The q, k and v heads of a projection (or its gradient) [B*T, 3*H*dh], in place. */
    private CausalAttentionKernel.Heads[] projectionHeads(INDArray proj, int heads, int t) {
        int hd = heads * headDim;
        return new CausalAttentionKernel.Heads[] {
            heads(proj, 0, 3 * hd, heads, t), heads(proj, hd, 3 * hd, heads, t), heads(proj, 2 * hd, 3 * hd, heads, t)};
    }

    /** The host path's backward: dq, dk, dv land in the projection layout, then RoPE's transpose there. */
    private INDArray backwardHost(Saved s, INDArray dy) {
        int b = s.batch();
        int t = s.seqLen();
        int heads = s.heads();
        int hd = heads * headDim;
        HostSaved h = s.host();
        long t0 = PhaseTimer.start();
        INDArray dMerged = out.backward(s.out(), dy);                      // [B*T, H*dh]
        if (!HostRows.contiguous(dMerged)) {
            dMerged = dMerged.dup('c');
        }
        t0 = PhaseTimer.stop("attn proj bwd", t0);
        INDArray dProj = Nd4j.createUninitialized(dy.dataType(), (long) b * t, 3L * hd);   // [B*T, 3*H*dh]
        CausalAttentionKernel.Heads[] qkvHeads = projectionHeads(h.proj(), heads, t);
        CausalAttentionKernel.Heads[] dQkv = projectionHeads(dProj, heads, t);
        CausalAttentionKernel.backward(qkvHeads[0], qkvHeads[1], qkvHeads[2], h.p(), heads(h.merged(), 0, hd, heads, t),
                1.0 / Math.sqrt(headDim), heads(dMerged, 0, hd, heads, t), dQkv[0], dQkv[1], dQkv[2], core.blockRows());
        t0 = PhaseTimer.stop("attn core bwd", t0);
        rope.rotateHeadsInPlace(HostRows.of(dProj), 0, 2 * heads, t, h.positions(), true);
        t0 = PhaseTimer.stop("attn heads+rope bwd", t0);
        INDArray dx = qkv.backward(s.qkv(), dProj);
        PhaseTimer.stop("attn proj bwd", t0);
        return dx;
    }

    /** dy [B*T, dW] -> dx [B*T, dW]; accumulates all projection gradients (the used blocks only). */
    public INDArray backward(Saved s, INDArray dy) {
        if (s.host() != null) {
            return backwardHost(s, dy);
        }
        int b = s.batch();
        int t = s.seqLen();
        int heads = s.heads();
        long t0 = PhaseTimer.start();
        INDArray dMerged = out.backward(s.out(), dy);                  // [B*T, H*dh]
        t0 = PhaseTimer.stop("attn proj bwd", t0);
        INDArray dO = Nd4j.createUninitialized(dy.dataType(), b, heads, t, headDim);
        Ops.permuteInto(dMerged.reshape(b, t, heads, headDim), dO, 0, 2, 1, 3); // -> [B, H, T, dh]
        INDArray dSplit = Nd4j.createUninitialized(dy.dataType(), 3, (long) b * heads, t, headDim);
        t0 = PhaseTimer.stop("attn heads+rope bwd", t0);
        core.backward(s.core(), dO.reshape((long) b * heads, t, headDim),   // [B, H, T, dh] -> [B*H, T, dh]
                dSplit.slice(0), dSplit.slice(1), dSplit.slice(2));
        t0 = PhaseTimer.stop("attn core bwd", t0);
        INDArray dQk = dSplit.get(NDArrayIndex.interval(0, 2)).reshape(2L * b * heads, t, headDim); // dq, dk
        if (s.rotation() == null) {
            rope.backwardInPlace(dQk);
        } else {
            rope.backwardInPlace(dQk, s.rotation());
        }
        INDArray dProj = Nd4j.createUninitialized(dy.dataType(), b, t, 3, heads, headDim);
        Ops.permuteInto(dSplit.reshape(3, b, heads, t, headDim), dProj, 1, 3, 0, 2, 4); // -> [B, T, 3, H, dh]
        // [B, T, 3, H, dh] -> [B*T, 3*H*dh]
        t0 = PhaseTimer.stop("attn heads+rope bwd", t0);
        INDArray dx = qkv.backward(s.qkv(), dProj.reshape((long) b * t, 3L * heads * headDim));
        PhaseTimer.stop("attn proj bwd", t0);
        return dx;
    }
}
