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

    /** Forward MACs per token of the LM head (d x V). */
    public static long headMacsPerToken(ModelConfig c) {
        return (long) c.dModel() * c.vocabSize();
    }
}
