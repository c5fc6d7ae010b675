package dev.ponder.core.model;

import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A transformer block as a residual update of a set of token rows: x += f(x) in place, for B
 * (sub)sequences of {@code len} rows each, at explicit positions. This is what Mixture-of-Depths
 * routes around ({@link ModBlock}): it gathers a sequence's selected tokens, runs the block on them
 * as a shorter sequence (attention among the selected tokens only; RoPE at their original
 * positions), and scales the update. {@link DenseBlock}, {@link MoeBlock} and {@link MoeutLayer}
 * implement it; their own models call the same methods with positions null (0..len-1).
 */
interface ResidualBlock {
    /** What a block's backward needs from its forward. */
    interface Saved {}

    /**
     * x [B*len, d] is updated in place. {@code positions} [B*len] holds each row's position in its
     * original sequence, increasing within each subsequence (null: 0..len-1). {@code rng} drives
     * training-time sampling where the block has any (may be null).
     */
    Saved forwardInPlace(INDArray x, int batch, int len, int[] positions, boolean training, Rng rng);

    /**
     * dx [B*len, d] (the gradient at the block output) becomes the gradient at its input, in place.
     * {@code extra} holds gradients at the block's router logits from losses computed outside it
     * (MoEUT's entropy regulariser pools a shared layer's invocations); null when there are none.
     */
    INDArray backwardInPlace(Saved s, INDArray dx, RouterLogitGrads extra);

    /** Analytic forward multiply-adds per token when run on sequences of {@code len} tokens (MODELS.md section 6). */
    long macsPerToken(int len);

    /** Forward multiply-adds this invocation executed over {@code rows} tokens in sequences of {@code len}. */
    long executedMacs(Saved s, int rows, int len);

    /** The auxiliary loss this invocation adds (coefficients applied; its gradient is part of backward). */
    default double auxLoss(Saved s) {
        return 0.0;
    }

    /** Expert load of this invocation, under module {@code name} and {@code repeat}; empty without routing. */
    default RoutingStats routingStats(Saved s, String name, int repeat) {
        return RoutingStats.EMPTY;
    }

    /**
     * Gradients at a block's router logits from outside losses (each may be null): the σ-MoE
     * selection [N, E] and SwitchHead's value and output selections [N, H*E].
     */
    record RouterLogitGrads(INDArray ffn, INDArray value, INDArray out) {}
}
