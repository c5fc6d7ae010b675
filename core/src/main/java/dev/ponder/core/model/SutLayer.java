package dev.ponder.core.model;

import dev.ponder.core.nn.ExpertFfn;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.MoMhaAttention;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.ParamRegistry;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The shared SUT layer f (MODELS.md section 2), pre-LN, applied to the rows of the tokens still
 * running: h = x + MoMHA(q from LN1(x); keys and values from LN1 of every token's current state);
 * h += FFN_moe(LN2(h)). Rows of halted tokens are simply not passed in, which is f leaving them
 * unchanged (their routing mask is 0: no router, query, expert or FFN work).
 *
 * <p>Pre-LN (the reference's preln_actsut variants), as every family here; the 44M LM port ran the
 * post-LN variant, whose f does not leave a skipped row unchanged. Parameters "{name}.ln1",
 * "{name}.attention", "{name}.ln2", "{name}.ffn".
 */
final class SutLayer {
    private final LayerNorm ln1;
    private final MoMhaAttention attention;
    private final LayerNorm ln2;
    private final ExpertFfn ffn;

    SutLayer(ParamRegistry reg, String name, ModelConfig c) {
        SutSettings s = c.sut();
        int d = c.dModel();
        Rope rope = new Rope(c.dHead(), c.ropeDims(), c.ropeBase());
        this.ln1 = new LayerNorm(reg, name + ".ln1", d);
        this.attention = new MoMhaAttention(reg, name + ".attention", d, c.nHeads(), c.dHead(), s.attNExperts(),
                s.attK(), rope);
        this.ln2 = new LayerNorm(reg, name + ".ln2", d);
        this.ffn = new ExpertFfn(reg, name + ".ffn", d, s.ffNExperts(), s.ffExpertSize(), s.ffK(), c.activation());
    }

    MoMhaAttention.Cache newCache(int batch, int seqLen, DataType dtype, boolean forBackward) {
        return attention.newCache(batch, seqLen, dtype, forBackward);
    }

    /** A cache rewrite from states s: LN1 and the key/value projections. */
    record CacheUpdate(LayerNorm.Saved ln, MoMhaAttention.CacheSaved kv) {}

    /** Rewrites the keys and values of {@code tokens} from their states s [n, d] (LN1 applied here). */
    CacheUpdate updateCache(MoMhaAttention.Cache cache, INDArray s, int[] tokens) {
        Fwd<LayerNorm.Saved> sn = ln1.forward(s);
        return new CacheUpdate(sn.saved(), attention.updateCache(cache, sn.out(), tokens));
    }

    /** The gradient of the states a cache update read, [n, d] (see {@link MoMhaAttention#cacheBackward}). */
    INDArray cacheBackward(CacheUpdate u, MoMhaAttention.Cache cache) {
        return ln1.backward(u.ln(), attention.cacheBackward(u.kv(), cache));
    }

    record Saved(LayerNorm.Saved ln1, MoMhaAttention.Saved att, LayerNorm.Saved ln2, ExpertFfn.Saved ffn) {}

    /** x [n, d], the states h of the running tokens {@code tokens} (sorted) -> f(x) [n, d], a new array. */
    Fwd<Saved> forward(INDArray x, int[] tokens, MoMhaAttention.Cache cache) {
        Fwd<LayerNorm.Saved> n1 = ln1.forward(x);
        Fwd<MoMhaAttention.Saved> a = attention.forward(n1.out(), tokens, cache);
        INDArray h = a.out().addi(x);                                   // x + attention
        Fwd<LayerNorm.Saved> n2 = ln2.forward(h);
        Fwd<ExpertFfn.Saved> f = ffn.forward(n2.out());
        h.addi(f.out());
        return new Fwd<>(h, new Saved(n1.saved(), a.saved(), n2.saved(), f.saved()));
    }

    /**
     * dh [n, d] (gradient at the output) -> dx [n, d] (a new array); the cache collects the key and
     * value gradients. d*Logits [n, E] (may be null) join the routers' logit gradients.
     */
    INDArray backward(Saved s, INDArray dh, MoMhaAttention.Cache cache, INDArray dAttLogits, INDArray dFfnLogits) {
        INDArray dy = dh.add(ln2.backward(s.ln2(), ffn.backward(s.ffn(), dh, dFfnLogits)));
        return dy.addi(ln1.backward(s.ln1(), attention.backward(s.att(), dy, cache, dAttLogits)));
    }

    /** Forward multiply-adds each row of this application ran. */
    long[] macsPerRow(Saved s) {
        long[] m = s.att().macsPerRow().clone();
        for (int i = 0; i < m.length; i++) {
            m[i] += ffn.macsPerRow();
        }
        return m;
    }

    long cacheMacsPerRow() {
        return attention.cacheMacsPerRow();
    }

    MoMhaAttention attention() {
        return attention;
    }

    ExpertFfn ffn() {
        return ffn;
    }
}
