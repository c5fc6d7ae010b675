package dev.ponder.core.model;

import dev.ponder.core.nn.CausalAttention;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.nn.SoftmaxMoe;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pre-LN transformer layer whose FFN is the classic softmax top-k MoE:
 * x += Attn(LN1(x)); x += MoE(LN2(x)). Same attention and init scheme as {@link DenseBlock}
 * (s = sqrt(2 / n_layers)); the experts see {@link SoftmaxMoe}.
 */
final class MoeBlock implements ResidualBlock {
    private final LayerNorm ln1;
    private final CausalAttention attn;
    private final LayerNorm ln2;
    private final SoftmaxMoe ffn;
    private final ModelConfig config;

    MoeBlock(ParamRegistry reg, String name, ModelConfig c, Rope rope) {
        MoeSettings m = c.moe();
        this.config = c;
        double s = Math.sqrt(2.0 / c.nLayers());
        int hd = c.nHeads() * c.dHead();
        this.ln1 = new LayerNorm(reg, name + ".ln1", c.dModel());
        this.attn = new CausalAttention(reg, name + ".attn", c.dModel(), c.nHeads(), c.dHead(), rope, false,
                Init.normal(s / Math.sqrt(c.dModel())), Init.normal(s / Math.sqrt(hd)));
        this.ln2 = new LayerNorm(reg, name + ".ln2", c.dModel());
        this.ffn = new SoftmaxMoe(reg, name + ".ffn", c.dModel(), m.nExperts(), m.expertSize(), m.k(),
                m.renormalize(), m.capacityFactor(), m.auxLoss(), m.zLoss(), c.activation(), s);
    }

    record Saved(LayerNorm.Saved ln1, CausalAttention.Saved attn, LayerNorm.Saved ln2, SoftmaxMoe.Saved ffn)
            implements ResidualBlock.Saved {}

    /** x [B*T, d] is updated in place. */
    Saved forwardInPlace(INDArray x, int b, int t) {
        return forwardInPlace(x, b, t, null, true, null);
    }

    @Override
    public Saved forwardInPlace(INDArray x, int b, int t, int[] positions, boolean training, Rng rng) {
        Fwd<LayerNorm.Saved> n1 = ln1.forward(x);
        Fwd<CausalAttention.Saved> a = attn.forward(n1.out(), b, t, positions);
        x.addi(a.out());
        Fwd<LayerNorm.Saved> n2 = ln2.forward(x);
        Fwd<SoftmaxMoe.Saved> f = ffn.forward(n2.out());
        x.addi(f.out());
        return new Saved(n1.saved(), a.saved(), n2.saved(), f.saved());
    }

    /** dx (gradient at the block output, including the auxiliary losses' paths) -> block input, in place. */
    INDArray backwardInPlace(Saved s, INDArray dx) {
        dx.addi(ln2.backward(s.ln2(), ffn.backward(s.ffn(), dx)));
        dx.addi(ln1.backward(s.ln1(), attn.backward(s.attn(), dx)));
        return dx;
    }

    @Override
    public INDArray backwardInPlace(ResidualBlock.Saved s, INDArray dx, RouterLogitGrads extra) {
        return backwardInPlace((Saved) s, dx);
    }

    @Override
    public long macsPerToken(int len) {
        return FlopCount.moeLayerMacsPerToken(config, len);
    }

    @Override
    public long executedMacs(ResidualBlock.Saved s, int rows, int len) {
        return executedMacs(config, (Saved) s, rows, len);
    }

    @Override
    public double auxLoss(ResidualBlock.Saved s) {
        return ((Saved) s).ffn().auxLoss();
    }

    @Override
    public RoutingStats routingStats(ResidualBlock.Saved s, String name, int repeat) {
        Routing r = ((Saved) s).ffn().routing();
        return RoutingStats.of(name + ".ffn", repeat, r.counts(), r.routedPerRow(), 1);
    }

    /** Forward multiply-adds run over n tokens: projections, full T x T attention, router, routed experts. */
    static long executedMacs(ModelConfig c, Saved s, int n, int t) {
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        return n * (4 * d * hd + d * c.moe().nExperts()) + 2L * n * t * hd + s.ffn().executedMacs();
    }
}
