package dev.ponder.core.model;

import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.Width;

/**
 * Analytic multiply-add counts (MODELS.md section 6, the MoEUT authors' convention: every matmul,
 * attention scores and values over the full T x T square, routers included; embedding and LM head
 * excluded). With it the dense 44M control (d 412, 16 layers, 10 heads of 41, d_ff 2053) gives
 * 52.5 GMAC per 1024-token forward.
 */
public final class FlopCount {
    private FlopCount() {}

    /** Forward MACs per token of one dense pre-LN layer at sequence length T. */
    public static long denseLayerMacsPerToken(ModelConfig c, int seqLen) {
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        long projections = 3 * d * hd + hd * d;  // q, k, v and o
        long attention = 2L * seqLen * hd;       // q k^T and p v, full T x T
        long ffn = 2 * d * c.dFf();              // up and down
        return projections + attention + ffn;
    }

    /** Forward MACs per token of the dense model (all layers, head and embedding excluded). */
    public static long denseMacsPerToken(ModelConfig c, int seqLen) {
        return c.nLayers() * denseLayerMacsPerToken(c, seqLen);
    }

    /**
     * Forward MACs per token of one MoEUT layer, the authors' formula (moeut_training_code,
     * paper/moe_universal/common.py, variant full_rope with V and O experts): attention scores and
     * values 2 T H dh; projections (2 + 2 att_k) d H dh (dense q and k, att_k experts for v and o);
     * mixing the att_k expert outputs 2 H att_k dh; the two attention routers 2 E_att d; σ-MoE
     * 2 d m k plus its router d E. Note the convention counts each attention router as E_att d,
     * although SwitchHead's per-head routers run H E_att d (the executed counter counts those).
     * With att_n_experts = 1 the attention is dense: 4 d H dh + 2 T H dh, plus the output gate H d.
     */
    public static long moeutLayerMacsPerToken(ModelConfig c, int seqLen) {
        MoeutSettings m = c.moeut();
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        long scores = 2L * seqLen * hd;
        long attention = m.attNExperts() > 1
                ? scores + (2 + 2L * m.attK()) * d * hd + 2L * m.attK() * hd + 2L * m.attNExperts() * d
                : scores + 4 * d * hd + (long) c.nHeads() * d;
        long ffn = 2 * d * m.ffExpertSize() * m.ffK() + d * m.ffNExperts();
        return attention + ffn;
    }

    /** Forward MACs per token of a MoEUT model: n_layers (repeats counted) times the layer. */
    public static long moeutMacsPerToken(ModelConfig c, int seqLen) {
        return c.nLayers() * moeutLayerMacsPerToken(c, seqLen);
    }

    /**
     * Forward MACs per token of one classic-MoE layer: dense attention (4 d H dh + 2 T H dh) and k
     * experts of width m (2 d m k) plus the router d E; no capacity drops assumed.
     */
    public static long moeLayerMacsPerToken(ModelConfig c, int seqLen) {
        MoeSettings m = c.moe();
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        return 4 * d * hd + 2L * seqLen * hd + 2 * d * m.expertSize() * m.k() + d * m.nExperts();
    }

    public static long moeMacsPerToken(ModelConfig c, int seqLen) {
        return c.nLayers() * moeLayerMacsPerToken(c, seqLen);
    }

    /**
     * Forward MACs per token of one dense layer run at SHARCS width {@code w} (MODELS.md section 3):
     * the same terms as {@link #denseLayerMacsPerToken} on the sliced shapes, dW = w.dModel(),
     * h dh = w.heads() dh, FFN w.dFf(); attention over {@code seqLen} keys (the full square).
     */
    public static long widthLayerMacsPerToken(ModelConfig c, Width w, int seqLen) {
        long d = w.dModel();
        long hd = (long) w.heads() * c.dHead();
        return 3 * d * hd + hd * d + 2L * seqLen * hd + 2 * d * w.dFf();
    }

    /**
     * Forward MACs per token of SHARCS's blocks for a pass at width {@code w} over {@code seqLen}
     * tokens: sharcs_start_layer full-width layers, the rest at w (router, embedding, head excluded).
     */
    public static long sharcsBlocksMacsPerToken(ModelConfig c, Width w, int seqLen) {
        int start = c.sharcs().startLayer();
        return start * denseLayerMacsPerToken(c, seqLen) + (c.nLayers() - start) * widthLayerMacsPerToken(c, w, seqLen);
    }

    /** Forward MACs of one routed row of the SHARCS router: d x hidden + hidden x |W|. */
    public static long sharcsRouterMacsPerRow(ModelConfig c) {
        SharcsSettings s = c.sharcs();
        return (long) c.dModel() * s.routerHidden() + (long) s.routerHidden() * s.widths().size();
    }

    /**
     * Analytic forward MACs per token of SHARCS at full width (its largest sub-network; the executed
     * per-width counts are in the compute histograms): the blocks plus the router, which runs once per
     * window with prefix pooling (its MACs spread over the T tokens) and once per token otherwise.
     */
    public static long sharcsMacsPerToken(ModelConfig c, int seqLen) {
        Width full = c.sharcs().shapes(c.dModel(), c.nHeads(), c.dFf()).get(c.sharcs().widths().size() - 1);
        long router = c.sharcs().routerPool() == CausalPool.Mode.PREFIX
                ? Math.round(sharcsRouterMacsPerRow(c) / (double) seqLen) : sharcsRouterMacsPerRow(c);
        return sharcsBlocksMacsPerToken(c, full, seqLen) + router;
    }

    /**
     * Forward MACs per token of one SUT step (MODELS.md section 2) when the token is active, at
     * sequence length T, same convention (full T x T attention; routers included). With
     * hd = n_heads x d_head (one attention expert's width), k_a = att_k, E_a = att_n_experts,
     * k_f = ff_k, E_f = ff_n_experts, m = ff_expert_size:
     * <ul>
     *   <li>mixture of multi-head attention: router d d + d E_a; k_a query experts d hd and k_a output
     *       experts hd d; shared keys and values 2 d hd; scores and values 2 T k_a hd (each chosen
     *       expert's n_heads heads attend over the shared keys);</li>
     *   <li>MoE feed-forward: router d d + d E_f; k_f experts 2 d m (biases are not multiply-adds).</li>
     * </ul>
     */
    public static long sutStepMacsPerToken(ModelConfig c, int seqLen) {
        SutSettings s = c.sut();
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        long attention = d * d + d * s.attNExperts() + 2L * s.attK() * d * hd + 2 * d * hd + 2L * seqLen * s.attK() * hd;
        long ffn = d * d + d * s.ffNExperts() + 2L * s.ffK() * d * s.ffExpertSize();
        return attention + ffn;
    }

    /** Forward MACs per token of the halting gate, Linear(d, d) -> GELU -> Linear(d, 2): d d + 2 d. */
    public static long sutHaltingGateMacsPerToken(ModelConfig c) {
        long d = c.dModel();
        return d * d + 2 * d;
    }

    /**
     * Forward MACs per token of a SUT that never halts (tau = 1): n_layers steps plus the halting
     * gate before each step after the first. The executed count of a halting model is lower: it is
     * recorded per token by the model (its "flops" histogram).
     */
    public static long sutMacsPerToken(ModelConfig c, int seqLen) {
        return c.nLayers() * sutStepMacsPerToken(c, seqLen) + (c.nLayers() - 1L) * sutHaltingGateMacsPerToken(c);
    }

    /** Forward MACs per token of one layer of {@code c}'s block kind (dense, moe or moeut) on sequences of len. */
    public static long layerMacsPerToken(ModelConfig c, int len) {
        return switch (c.blockKind()) {
            case "dense" -> denseLayerMacsPerToken(c, len);
            case "moe" -> moeLayerMacsPerToken(c, len);
            case "moeut" -> moeutLayerMacsPerToken(c, len);
            default -> throw new IllegalArgumentException("FLOP count: no layer formula for block kind " + c.blockKind());
        };
    }

    /**
     * Forward MACs per token of MoD's router and causal predictor at one routed block, run on every
     * token: r = w.x (d) and the predictor MLP (d h + h).
     */
    public static long modRoutingMacsPerToken(ModelConfig c) {
        long h = c.mod().predictorHidden();
        return c.dModel() + c.dModel() * h + h;
    }

    /**
     * Forward MACs per token of a Mixture-of-Depths model at sequence length T, averaged over tokens:
     * full blocks cost a layer at T; a routed block costs its router and predictor for every token
     * plus, for the C = round(capacity T) tokens it computes, a layer run on sequences of C tokens
     * (attention among the selected tokens, full C x C square by the convention). So the count is
     * sum_full layer(T) + sum_routed (routing + (C / T) layer(C)), rounded down.
     */
    public static long modMacsPerToken(ModelConfig c, int seqLen) {
        ModSettings m = c.mod();
        int cap = dev.ponder.core.routing.TopC.capacity(m.capacity(), seqLen);
        long perSequence = 0;   // MACs of one sequence of T tokens
        for (int l = 0; l < c.nLayers(); l++) {
            perSequence += m.routed(l)
                    ? seqLen * modRoutingMacsPerToken(c) + cap * layerMacsPerToken(c, cap)
                    : seqLen * layerMacsPerToken(c, seqLen);
        }
        return perSequence / seqLen;
    }

    /** Forward MACs per token of the LM head (d x V). */
    public static long headMacsPerToken(ModelConfig c) {
        return (long) c.dModel() * c.vocabSize();
    }
}
