package dev.ponder.core.model;

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
