package dev.ponder.core.model;

import dev.ponder.core.nn.CausalAttention;
import dev.ponder.core.nn.Ffn;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-LN transformer layer: x += Attn(LN1(x)); x += FFN(LN2(x)). The residual stream is
 * updated in place (LayerNorm keeps its normalised input, not x, so nothing saved aliases it).
 */
final class DenseBlock implements ResidualBlock {
    private final LayerNorm ln1;
    private final CausalAttention attn;
    private final LayerNorm ln2;
    private final Ffn ffn;
    private final ModelConfig config;

    /**
     * Init (MoEUT's scheme, so the dense control matches the family it controls): with
     * s = sqrt(2 / n_layers), q/k/v and FFN-up ~ N(0, s / sqrt(d)), o ~ N(0, s / sqrt(H dh)),
     * FFN-down ~ N(0, s / sqrt(d_ff)).
     */
    DenseBlock(ParamRegistry reg, String name, ModelConfig c, Rope rope) {
        double s = Math.sqrt(2.0 / c.nLayers());
        int hd = c.nHeads() * c.dHead();
        this.config = c;
        this.ln1 = new LayerNorm(reg, name + ".ln1", c.dModel());
        this.attn = new CausalAttention(reg, name + ".attn", c.dModel(), c.nHeads(), c.dHead(), rope, c.bias(),
                Init.normal(s / Math.sqrt(c.dModel())), Init.normal(s / Math.sqrt(hd)));
        this.ln2 = new LayerNorm(reg, name + ".ln2", c.dModel());
        this.ffn = new Ffn(reg, name + ".ffn", c.dModel(), c.dFf(), c.activation(), c.bias(),
                Init.normal(s / Math.sqrt(c.dModel())), Init.normal(s / Math.sqrt(c.dFf())));
    }

    record Saved(LayerNorm.Saved ln1, CausalAttention.Saved attn, LayerNorm.Saved ln2, Ffn.Saved ffn)
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
        Fwd<Ffn.Saved> f = ffn.forward(n2.out());
        x.addi(f.out());
        return new Saved(n1.saved(), a.saved(), n2.saved(), f.saved());
    }

    /** dx [B*T, d] (gradient at the block output) becomes the gradient at the block input, in place. */
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
        return FlopCount.denseLayerMacsPerToken(config, len);
    }

    /** Every matmul is dense: the analytic count is what ran. */
    @Override
    public long executedMacs(ResidualBlock.Saved s, int rows, int len) {
        return rows * macsPerToken(len);
    }
}
