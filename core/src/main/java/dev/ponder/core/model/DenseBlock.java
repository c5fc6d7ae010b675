package dev.ponder.core.model;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.CausalAttention;
import dev.ponder.core.nn.Ffn;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.width.Width;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-LN transformer layer: x += Attn(LN1(x)); x += FFN(LN2(x)). The residual stream is
 * updated in place (LayerNorm keeps its normalised input, not x, so nothing saved aliases it).
 *
 * <p>Width slicing (SHARCS): a block built with narrower widths runs at any of them on the leading
 * dW channels of the residual stream, x [N, dW], with the leading heads and FFN units of the same
 * weights and its own LayerNorm pair per width ("{name}.ln1_w0p25", ...; full width keeps ln1/ln2,
 * so a block at full width is exactly the dense block).
 */
final class DenseBlock implements ResidualBlock {
    private final LayerNorm ln1;
    private final CausalAttention attn;
    private final LayerNorm ln2;
    private final Ffn ffn;
    /** Per narrower width index: its {ln1, ln2}. */
    private final Map<Integer, LayerNorm[]> narrowNorms = new HashMap<>();

    DenseBlock(ParamRegistry reg, String name, ModelConfig c, Rope rope) {
        this(reg, name, c, rope, List.of());
    }
    private final ModelConfig config;

    /**
     * Init (MoEUT's scheme, so the dense control matches the family it controls): with
     * s = sqrt(2 / n_layers), q/k/v and FFN-up ~ N(0, s / sqrt(d)), o ~ N(0, s / sqrt(H dh)),
     * FFN-down ~ N(0, s / sqrt(d_ff)). Narrower widths' LayerNorms start at 1 and 0 like the full one.
     */
    DenseBlock(ParamRegistry reg, String name, ModelConfig c, Rope rope, List<Width> widths) {
        double s = Math.sqrt(2.0 / c.nLayers());
        int hd = c.nHeads() * c.dHead();
        this.config = c;
        this.ln1 = new LayerNorm(reg, name + ".ln1", c.dModel());
        this.attn = new CausalAttention(reg, name + ".attn", c.dModel(), c.nHeads(), c.dHead(), rope, c.bias(),
                Init.normal(s / Math.sqrt(c.dModel())), Init.normal(s / Math.sqrt(hd)));
        this.ln2 = new LayerNorm(reg, name + ".ln2", c.dModel());
        this.ffn = new Ffn(reg, name + ".ffn", c.dModel(), c.dFf(), c.activation(), c.bias(),
                Init.normal(s / Math.sqrt(c.dModel())), Init.normal(s / Math.sqrt(c.dFf())));
        for (Width w : widths) {
            if (!w.full()) {
                narrowNorms.put(w.index(), new LayerNorm[] {
                    new LayerNorm(reg, name + ".ln1_" + w.suffix(), w.dModel()),
                    new LayerNorm(reg, name + ".ln2_" + w.suffix(), w.dModel())});
            }
        }
    }

    record Saved(LayerNorm.Saved ln1, CausalAttention.Saved attn, LayerNorm.Saved ln2, Ffn.Saved ffn, Width width)
            implements ResidualBlock.Saved {}

    /** x [B*T, d] is updated in place. */
    Saved forwardInPlace(INDArray x, int b, int t) {
        return forwardInPlace(x, b, t, null, null);
    }

    @Override
    public Saved forwardInPlace(INDArray x, int b, int t, int[] positions, boolean training, Rng rng) {
        return forwardInPlace(x, b, t, null, positions);
    }

    /** x [B*T, dW] (the leading dW channels at width w; null = full width) is updated in place. */
    Saved forwardInPlace(INDArray x, int b, int t, Width w) {
        return forwardInPlace(x, b, t, w, null);
    }

    /** At width w (null = full) and explicit positions (null = 0..T-1). */
    private Saved forwardInPlace(INDArray x, int b, int t, Width w, int[] positions) {
        LayerNorm[] norms = norms(w);
        long t0 = PhaseTimer.start();
        Fwd<LayerNorm.Saved> n1 = norms[0].forward(x);
        t0 = PhaseTimer.stop("ln+residual", t0);
        Fwd<CausalAttention.Saved> a = attn.forward(n1.out(), b, t, w == null ? attn.heads() : w.heads(), positions);
        t0 = PhaseTimer.start();
        Fwd<LayerNorm.Saved> n2 = norms[1].forwardAdding(x, a.out());    // x += attn; LN2(x)
        t0 = PhaseTimer.stop("ln+residual", t0);
        Fwd<Ffn.Saved> f = w == null ? ffn.forward(n2.out()) : ffn.forward(n2.out(), w.dFf());
        t0 = PhaseTimer.stop("ffn", t0);
        LayerNorm.addInPlace(x, f.out());
        PhaseTimer.stop("ln+residual", t0);
        return new Saved(n1.saved(), a.saved(), n2.saved(), f.saved(), w);
    }

    /** dx [B*T, dW] (gradient at the block output) becomes the gradient at the block input, in place. */
    INDArray backwardInPlace(Saved s, INDArray dx) {
        LayerNorm[] norms = norms(s.width());
        long t0 = PhaseTimer.start();
        INDArray dFfn = ffn.backward(s.ffn(), dx);
        t0 = PhaseTimer.stop("ffn bwd", t0);
        norms[1].backwardAdding(s.ln2(), dFfn, dx);                     // dx += LN2 backward
        t0 = PhaseTimer.stop("ln+residual bwd", t0);
        INDArray dAttn = attn.backward(s.attn(), dx);
        t0 = PhaseTimer.start();
        norms[0].backwardAdding(s.ln1(), dAttn, dx);
        PhaseTimer.stop("ln+residual bwd", t0);
        return dx;
    }

    private LayerNorm[] norms(Width w) {
        if (w == null || w.full()) {
            return new LayerNorm[] {ln1, ln2};
        }
        LayerNorm[] n = narrowNorms.get(w.index());
        if (n == null) {
            throw new IllegalArgumentException("block: no LayerNorms for width " + w.fraction()
                    + " (built for widths " + narrowNorms.keySet() + " and full)");
        }
        return n;
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
