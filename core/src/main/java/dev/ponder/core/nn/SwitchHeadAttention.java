package dev.ponder.core.nn;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.DispatchPlan;
import dev.ponder.core.routing.Dispatcher;
import dev.ponder.core.routing.RouterInit;
import dev.ponder.core.routing.SigmoidTopK;
import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.Shapes;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * SwitchHead attention (MoEUT, MODELS.md section 1): dense q and k, a mixture of experts for the
 * value and output projections, chosen per head by sigmoid routers.
 * <ul>
 *   <li>q = xn Wq^T, k = xn Wk^T, each scaled by dh^(-1/4) (attention scale 1); RoPE (rotate-half,
 *       base 10000) on the first floor(dh / 2) dims of each head (rounded down to even).</li>
 *   <li>routers z_v = xn W_selv^T, z_o = xn W_selo^T [N, H*E]: per head the top att_k of E by sigmoid,
 *       chosen without gradient, gates = the sigmoids.</li>
 *   <li>v_h = sum_j g^v_j x Wv[h E + e_j] (x un-normalised); a_h = softmax(q_h k_h^T + mask) v_h;
 *       out = sum_h sum_j g^o_j a_h Wo[h E + e_j].</li>
 *   <li>E = 1: v and o are dense ([H*dh, d] and [d, H*dh]) and each head's output is scaled by
 *       sigmoid(xn W_selo^T) [N, H].</li>
 * </ul>
 * Parameters (reference names and shapes): "{name}.q.weight", "{name}.k.weight" [H*dh, d];
 * "{name}.v" [H*E, d, dh]; "{name}.o" [H*E, dh, d]; "{name}.sel_v", "{name}.sel_o" [H*E, d].
 *
 * <p>Layouts: the value dispatch writes its rows straight into [B, H, T, dh] and the output dispatch
 * reads the attention result there, so no permute copies are needed around the core.
 */
public final class SwitchHeadAttention {
    private final String name;
    private final int dim;
    private final int heads;
    private final int headDim;
    private final int nExperts;
    private final double qkScale;
    private final Param qk;            // q.weight and k.weight stacked [2*H*dh, d]
    private final Param v;
    private final Param o;
    private final Param sel;           // E > 1: sel_v and sel_o stacked [2*H*E, d]; E = 1: sel_o [H, d]
    private final SigmoidTopK router;  // E > 1 only
    private final Rope rope;
    private final CausalSoftmaxAttention core = new CausalSoftmaxAttention();

    public SwitchHeadAttention(ParamRegistry reg, String name, int dim, int heads, int headDim, int nExperts,
                               int k, double expertDropout, double initScale) {
        this.name = name;
        this.dim = dim;
        this.heads = heads;
        this.headDim = headDim;
        this.nExperts = nExperts;
        this.qkScale = Math.pow(headDim, -0.25);
        int hd = heads * headDim;
        Init dIn = Init.normal(initScale / Math.sqrt(dim));
        this.qk = reg.addStack(name + ".qk.weight", List.of(name + ".q.weight", name + ".k.weight"), dIn, true, hd, dim);
        Init oInit = Init.normal(initScale / Math.sqrt(hd));
        if (nExperts > 1) {
            this.v = reg.add(name + ".v", dIn, (long) heads * nExperts, dim, headDim);
            this.o = reg.add(name + ".o", oInit, (long) heads * nExperts, headDim, dim);
            this.sel = reg.addStack(name + ".sel", List.of(name + ".sel_v", name + ".sel_o"), dIn, true,
                    (long) heads * nExperts, dim);
            this.router = new SigmoidTopK(nExperts, k, heads, expertDropout);
        } else {
            this.v = reg.add(name + ".v", dIn, hd, dim);
            this.o = reg.add(name + ".o", oInit, dim, hd);
            this.sel = reg.add(name + ".sel_o", dIn, heads, dim);
            this.router = null;
        }
        this.rope = new Rope(headDim, Rope.rotatedDims(headDim, 0.5), 10000.0);
    }

    /** Row renormalisation of the router matrices (call once after the registry is built). */
    public void renormRouters() {
        long he = (long) heads * nExperts;
        if (nExperts > 1) {
            RouterInit.renormRows(Views.rows(sel.value(), 0, he));              // sel_v
            RouterInit.renormRows(Views.rows(sel.value(), he, he));             // sel_o
        } else {
            RouterInit.renormRows(sel.value());
        }
    }

    /**
     * What backward needs. {@code logitsV}, {@code logitsO} [N, H*E] are the raw router logits the
     * entropy regulariser reads (null when E = 1). For E = 1, {@code dense} holds the dense path.
     */
    public record Saved(int batch, int seqLen, INDArray xn, CausalSoftmaxAttention.Saved core, INDArray logitsV,
                        INDArray logitsO, SigmoidTopK.Saved routerV, SigmoidTopK.Saved routerO,
                        Dispatcher.Saved valueDispatch, Dispatcher.Saved outDispatch, Dense dense,
                        Rope.Rotation rotation) {
        /** Multiply-adds of the value and output dispatches (routed slots only; 0 when E = 1). */
        public long dispatchMacs() {
            return dense != null ? 0 : valueDispatch.macs() + outDispatch.macs();
        }
    }

    /** The E = 1 path: the value projection's input, sigmoid gates [N, H], the ungated head outputs [N, H*dh]. */
    public record Dense(Linear.Saved value, INDArray gate, INDArray heads, Linear.Saved out) {}

    /** Gradients with respect to the normalised input (q, k, routers) and the raw input (values). */
    public record Grads(INDArray dxn, INDArray dx) {}

    /** xn = LN1(x), x [B*T, d] -> [B*T, d]. {@code rng} drives expert dropout in training (may be null when off). */
    public Fwd<Saved> forward(INDArray xn, INDArray x, int b, int t, boolean training, Rng rng) {
        return forward(xn, x, b, t, training, rng, null);
    }

    /**
     * As {@link #forward(INDArray, INDArray, int, int, boolean, Rng)} for rows at explicit positions
     * [B*T] (null: 0..T-1): subsequences of selected tokens, each in increasing position order (the
     * causal mask is by row order; see {@link CausalAttention}).
     */
    public Fwd<Saved> forward(INDArray xn, INDArray x, int b, int t, boolean training, Rng rng, int[] positions) {
        int n = b * t;
        Shapes.require(xn, name + " normalised input", n, dim);
        Shapes.require(x, name + " input", n, dim);
        long t0 = PhaseTimer.start();
        INDArray proj = Ops.mm(xn, qk.value(), false, true, qkScale);         // [N, d] x [d, 2*H*dh] -> [N, 2*H*dh]
        INDArray split = Nd4j.createUninitialized(xn.dataType(), 2, b, heads, t, headDim);
        Ops.permuteInto(proj.reshape(b, t, 2, heads, headDim), split, 2, 0, 3, 1, 4); // -> [2, B, H, T, dh]
        Rope.Rotation rot = positions == null ? null : rope.rotation(positions, b, heads, t, xn.dataType());
        if (positions == null) {
            rope.forwardInPlace(split.reshape(2L * b * heads, t, headDim));
        } else {
            rope.forwardInPlace(split.reshape(2L * b * heads, t, headDim), rot);
        }
        INDArray q = split.slice(0).reshape((long) b * heads, t, headDim);
        INDArray kk = split.slice(1).reshape((long) b * heads, t, headDim);
        PhaseTimer.stop("attention_proj", t0);
        if (nExperts == 1) {
            return forwardDense(xn, x, b, t, q, kk, rot);
        }
        long he = (long) heads * nExperts;
        long t1 = PhaseTimer.start();
        INDArray z = Ops.mm(xn, sel.value(), false, true);                  // [N, d] x [d, 2*H*E] -> [N, 2*H*E]
        INDArray zv = z.get(NDArrayIndex.all(), NDArrayIndex.interval(0, he)).dup('c');
        INDArray zo = z.get(NDArrayIndex.all(), NDArrayIndex.interval(he, 2 * he)).dup('c');
        SigmoidTopK.Routed rv = router.route(zv, training, rng == null ? null : rng.split("v"));
        SigmoidTopK.Routed ro = router.route(zo, training, rng == null ? null : rng.split("o"));
        PhaseTimer.stop("router", t1);
        int k = rv.routing().k();
        // routing row = n*H + h; its place in the [B, H, T] layout is (b*H + h)*T + t
        java.util.function.IntUnaryOperator headMajor = row -> {
            int tok = row / heads;
            return ((tok / t) * heads + row % heads) * t + tok % t;
        };
        DispatchPlan pv = DispatchPlan.of(rv.routing(), s -> s / (heads * k), n,
                s -> headMajor.applyAsInt(s / k), n * heads);
        Fwd<Dispatcher.Saved> vals = Dispatcher.forward(pv, x, v.value());  // [B*H*T, dh] in [B, H, T, dh] order
        long t2 = PhaseTimer.start();
        Fwd<CausalSoftmaxAttention.Saved> att = core.forward(q, kk, vals.out().reshape((long) b * heads, t, headDim), 1.0);
        PhaseTimer.stop("attention_core", t2);
        DispatchPlan po = DispatchPlan.of(ro.routing(), s -> headMajor.applyAsInt(s / k), n * heads,
                s -> s / (heads * k), n);
        Fwd<Dispatcher.Saved> out = Dispatcher.forward(po,
                att.out().reshape((long) n * heads, headDim), o.value());     // -> [N, d]
        return new Fwd<>(out.out(), new Saved(b, t, xn, att.saved(), zv, zo, rv.saved(), ro.saved(),
                vals.saved(), out.saved(), null, rot));
    }

    private Fwd<Saved> forwardDense(INDArray xn, INDArray x, int b, int t, INDArray q, INDArray kk,
                                    Rope.Rotation rot) {
        int n = b * t;
        Linear vLin = new Linear(name + ".v", v, null);
        Fwd<Linear.Saved> vals = vLin.forward(x.dup());                     // [N, d] x [d, H*dh]; x is copied: the
        INDArray vh = Nd4j.createUninitialized(x.dataType(), b, heads, t, headDim); // caller updates it in place
        Ops.permuteInto(vals.out().reshape(b, t, heads, headDim), vh, 0, 2, 1, 3); // -> [B, H, T, dh]
        Fwd<CausalSoftmaxAttention.Saved> att = core.forward(q, kk, vh.reshape((long) b * heads, t, headDim), 1.0);
        INDArray merged = Nd4j.createUninitialized(x.dataType(), b, t, heads, headDim);
        Ops.permuteInto(att.out().reshape(b, heads, t, headDim), merged, 0, 2, 1, 3); // -> [B, T, H, dh]
        INDArray gate = Transforms.sigmoid(Ops.mm(xn, sel.value(), false, true), false); // [N, d] x [d, H] -> [N, H]
        INDArray gated = merged.reshape((long) n * heads, headDim).mulColumnVector(gate.reshape((long) n * heads, 1));
        Fwd<Linear.Saved> out = new Linear(name + ".o", o, null).forward(gated.reshape(n, (long) heads * headDim));
        return new Fwd<>(out.out(), new Saved(b, t, xn, att.saved(), null, null, null, null, null, null,
                new Dense(vals.saved(), gate, merged.reshape(n, (long) heads * headDim), out.saved()), rot));
    }

    /**
     * dy [N, d] -> gradients of xn and x. {@code dLogitsV}, {@code dLogitsO} [N, H*E] (may be null)
     * are added to the routers' logit gradients (the entropy regulariser's).
     */
    public Grads backward(Saved s, INDArray dy, INDArray dLogitsV, INDArray dLogitsO) {
        int b = s.batch();
        int t = s.seqLen();
        int n = b * t;
        long bh = (long) b * heads;
        INDArray dA;
        Dispatcher.Grads gO = null;
        DenseBack denseBack = null;
        if (s.dense() == null) {
            gO = Dispatcher.backward(s.outDispatch(), o.value(), o.grad(), dy); // dA [B*H*T, dh] in [B, H, T, dh] order
            dA = gO.dInput().reshape(bh, t, headDim);
        } else {
            denseBack = denseOutBackward(s, dy, b, t);
            dA = denseBack.dA();
        }
        long t0 = PhaseTimer.start();
        INDArray dQk = Nd4j.createUninitialized(dy.dataType(), 2, bh, t, headDim);
        INDArray dV = Nd4j.createUninitialized(dy.dataType(), bh, t, headDim);
        core.backward(s.core(), dA, dQk.slice(0), dQk.slice(1), dV);
        t0 = PhaseTimer.stop("attention_core", t0);
        if (s.rotation() == null) {
            rope.backwardInPlace(dQk.reshape(2 * bh, t, headDim));
        } else {
            rope.backwardInPlace(dQk.reshape(2 * bh, t, headDim), s.rotation());
        }
        INDArray dProj = Nd4j.createUninitialized(dy.dataType(), b, t, 2, heads, headDim);
        Ops.permuteInto(dQk.reshape(2, b, heads, t, headDim), dProj, 1, 3, 0, 2, 4); // -> [B, T, 2, H, dh]
        INDArray dProj2 = dProj.reshape(n, 2L * heads * headDim);
        Ops.gemm(dProj2, s.xn(), qk.grad(), true, false, qkScale, 1.0);     // [2*H*dh, N] x [N, d] -> [2*H*dh, d]
        INDArray dxn = Ops.mm(dProj2, qk.value(), false, false, qkScale);   // [N, 2*H*dh] x [2*H*dh, d] -> [N, d]
        PhaseTimer.stop("attention_proj", t0);
        INDArray dx;
        if (s.dense() == null) {
            Dispatcher.Grads gV = Dispatcher.backward(s.valueDispatch(), v.value(), v.grad(),
                    dV.reshape(bh * t, headDim));
            dx = gV.dInput();
            long t1 = PhaseTimer.start();
            long he = (long) heads * nExperts;
            INDArray dz = Nd4j.createUninitialized(dy.dataType(), n, 2 * he);
            INDArray dzv = router.backward(s.routerV(), gV.dGates(), s.logitsV());
            INDArray dzo = router.backward(s.routerO(), gO.dGates(), s.logitsO());
            if (dLogitsV != null) {
                dzv.addi(dLogitsV);
            }
            if (dLogitsO != null) {
                dzo.addi(dLogitsO);
            }
            dz.get(NDArrayIndex.all(), NDArrayIndex.interval(0, he)).assign(dzv);
            dz.get(NDArrayIndex.all(), NDArrayIndex.interval(he, 2 * he)).assign(dzo);
            Ops.gemm(dz, s.xn(), sel.grad(), true, false, 1.0, 1.0);        // [2*H*E, N] x [N, d] -> [2*H*E, d]
            dxn.addi(Ops.mm(dz, sel.value(), false, false));                // [N, 2*H*E] x [2*H*E, d] -> [N, d]
            PhaseTimer.stop("router", t1);
        } else {
            INDArray dVals = Nd4j.createUninitialized(dy.dataType(), b, t, heads, headDim);
            Ops.permuteInto(dV.reshape(b, heads, t, headDim), dVals, 0, 2, 1, 3); // -> [B, T, H, dh]
            dx = new Linear(name + ".v", v, null).backward(s.dense().value(), dVals.reshape(n, (long) heads * headDim));
            dxn.addi(denseGateBackward(s, denseBack.dGate()));
        }
        return new Grads(dxn, dx);
    }

    /** E = 1: the attention output's gradient [B*H, T, dh] and the gates' gradient [N, H]. */
    private record DenseBack(INDArray dA, INDArray dGate) {}

    private DenseBack denseOutBackward(Saved s, INDArray dy, int b, int t) {
        int n = b * t;
        Dense d = s.dense();
        INDArray dGated = new Linear(name + ".o", o, null).backward(d.out(), dy);   // [N, H*dh]
        INDArray rows = dGated.reshape((long) n * heads, headDim);
        INDArray dGate = rows.mul(d.heads().reshape((long) n * heads, headDim)).sum(1); // [N*H] row dots
        INDArray dMerged = rows.mulColumnVector(d.gate().reshape((long) n * heads, 1)); // [N*H, dh]
        INDArray dA = Nd4j.createUninitialized(dy.dataType(), b, heads, t, headDim);
        Ops.permuteInto(dMerged.reshape(b, t, heads, headDim), dA, 0, 2, 1, 3);   // -> [B, H, T, dh]
        return new DenseBack(dA.reshape((long) b * heads, t, headDim), dGate.reshape(n, heads));
    }

    /** E = 1: the gate's logit gradient through sigmoid, into sel_o's gradient; returns its xn gradient. */
    private INDArray denseGateBackward(Saved s, INDArray dGate) {
        INDArray g = s.dense().gate();
        INDArray dz = dGate.muli(g.mul(g.rsub(1.0)));                              // [N, H] d sigmoid
        Ops.gemm(dz, s.xn(), sel.grad(), true, false, 1.0, 1.0);                   // [H, N] x [N, d] -> [H, d]
        return Ops.mm(dz, sel.value(), false, false);                              // [N, H] x [H, d] -> [N, d]
    }

    public int nExperts() {
        return nExperts;
    }

    public int heads() {
        return heads;
    }

    public SigmoidTopK router() {
        return router;
    }
}
