package dev.ponder.core.model;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.SigmaMoe;
import dev.ponder.core.nn.SwitchHeadAttention;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One MoEUT layer, "peri-layernorm" (no norm on the residual stream itself):
 * xn = LN1(x); x += SwitchHead(q = k = xn, v = x); x += σMoE(x, sel = LN2(x)).
 * Registered in the reference's order (attention, ffn, ln1, ln2) under "{name}.attention",
 * "{name}.ffn", "{name}.ln1", "{name}.ln2". Shared by every repeat of its group position: the
 * layer holds parameters only, so applying it R times keeps R {@link Saved} records and its
 * gradients accumulate over the repeats.
 */
final class MoeutLayer implements ResidualBlock {
    private final SwitchHeadAttention attention;
    private final SigmaMoe ffn;
    private final LayerNorm ln1;
    private final LayerNorm ln2;
    private final long routerMacsPerToken;   // both attention routers and the FFN router, as run
    private final long denseMacsPerToken;    // q and k projections
    private final ModelConfig config;

    MoeutLayer(ParamRegistry reg, String name, ModelConfig c, double initScale) {
        MoeutSettings m = c.moeut();
        this.config = c;
        int d = c.dModel();
        this.attention = new SwitchHeadAttention(reg, name + ".attention", d, c.nHeads(), c.dHead(),
                m.attNExperts(), m.attK(), m.attExpertDropout(), initScale);
        this.ffn = new SigmaMoe(reg, name + ".ffn", d, m.ffNExperts(), m.ffExpertSize(), m.ffK(),
                m.ffExpertDropout(), initScale);
        this.ln1 = new LayerNorm(reg, name + ".ln1", d);
        this.ln2 = new LayerNorm(reg, name + ".ln2", d);
        long hd = (long) c.nHeads() * c.dHead();
        long attRouters = m.attNExperts() > 1 ? 2L * c.nHeads() * m.attNExperts() * d : (long) c.nHeads() * d;
        this.routerMacsPerToken = attRouters + ffn.routerMacsPerToken();
        this.denseMacsPerToken = 2 * d * hd + (m.attNExperts() > 1 ? 0 : 2 * d * hd);  // E = 1: v and o dense too
    }

    /** Router row renormalisation of the reference init (once, after the registry is built). */
    void renormRouters() {
        attention.renormRouters();
        ffn.renormRouter();
    }

    record Saved(LayerNorm.Saved ln1, SwitchHeadAttention.Saved att, LayerNorm.Saved ln2, SigmaMoe.Saved ffn)
            implements ResidualBlock.Saved {}

    /** x [B*T, d] is updated in place (the sublayers keep copies of what they need, never x itself). */
    Saved forwardInPlace(INDArray x, int b, int t, boolean training, Rng rng) {
        return forwardInPlace(x, b, t, null, training, rng);
    }

    @Override
    public Saved forwardInPlace(INDArray x, int b, int t, int[] positions, boolean training, Rng rng) {
        long t0 = PhaseTimer.start();
        Fwd<LayerNorm.Saved> n1 = ln1.forward(x);
        PhaseTimer.stop("layernorm_residual", t0);
        Fwd<SwitchHeadAttention.Saved> a = attention.forward(n1.out(), x, b, t, training,
                rng == null ? null : rng.split("attention"), positions);
        t0 = PhaseTimer.start();
        x.addi(a.out());
        Fwd<LayerNorm.Saved> n2 = ln2.forward(x);
        PhaseTimer.stop("layernorm_residual", t0);
        Fwd<SigmaMoe.Saved> f = ffn.forward(x, n2.out(), training, rng == null ? null : rng.split("ffn"));
        t0 = PhaseTimer.start();
        x.addi(f.out());
        PhaseTimer.stop("layernorm_residual", t0);
        return new Saved(n1.saved(), a.saved(), n2.saved(), f.saved());
    }

    /**
     * dx (gradient at the layer output) becomes the gradient at its input, in place. The d*Logits
     * arrays (null when absent) are the entropy regulariser's gradients for this invocation's routers.
     */
    INDArray backwardInPlace(Saved s, INDArray dx, INDArray dFfnLogits, INDArray dValueLogits, INDArray dOutLogits) {
        SigmaMoe.Grads f = ffn.backward(s.ffn(), dx, dFfnLogits);
        long t0 = PhaseTimer.start();
        dx.addi(f.dx()).addi(ln2.backward(s.ln2(), f.dSelInput()));
        PhaseTimer.stop("layernorm_residual", t0);
        SwitchHeadAttention.Grads a = attention.backward(s.att(), dx, dValueLogits, dOutLogits);
        t0 = PhaseTimer.start();
        dx.addi(a.dx()).addi(ln1.backward(s.ln1(), a.dxn()));
        PhaseTimer.stop("layernorm_residual", t0);
        return dx;
    }

    @Override
    public INDArray backwardInPlace(ResidualBlock.Saved s, INDArray dx, RouterLogitGrads extra) {
        return extra == null ? backwardInPlace((Saved) s, dx, null, null, null)
                : backwardInPlace((Saved) s, dx, extra.ffn(), extra.value(), extra.out());
    }

    @Override
    public long macsPerToken(int len) {
        return FlopCount.moeutLayerMacsPerToken(config, len);
    }

    @Override
    public long executedMacs(ResidualBlock.Saved s, int rows, int len) {
        return executedMacs((Saved) s, rows, len, config.nHeads(), config.dHead());
    }

    /** Expert load of the σ-MoE (and of SwitchHead's value and output routers when E > 1) under {@code name}. */
    @Override
    public RoutingStats routingStats(ResidualBlock.Saved saved, String name, int repeat) {
        Saved s = (Saved) saved;
        Routing f = s.ffn().routing();
        RoutingStats add = RoutingStats.of(name + ".ffn", repeat, f.counts(), f.routedPerRow(), 1);
        if (s.att().valueDispatch() != null) {
            Routing v = s.att().valueDispatch().plan().routing();
            Routing o = s.att().outDispatch().plan().routing();
            add = add.merge(RoutingStats.of(name + ".attention.v", repeat, v.counts(), v.routedPerRow(), config.nHeads()))
                    .merge(RoutingStats.of(name + ".attention.o", repeat, o.counts(), o.routedPerRow(), config.nHeads()));
        }
        return add;
    }

    /** Forward multiply-adds this invocation ran over n = B*T tokens (attention scores over the full T x T). */
    long executedMacs(Saved s, int n, int t, int heads, int headDim) {
        long scores = 2L * n * t * heads * headDim;
        return n * (routerMacsPerToken + denseMacsPerToken) + scores + s.att().dispatchMacs() + s.ffn().executedMacs();
    }

    SwitchHeadAttention attention() {
        return attention;
    }

    SigmaMoe ffn() {
        return ffn;
    }
}
