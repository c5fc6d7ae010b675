package dev.ponder.core.model;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.width.ConfidenceHistory;
import java.util.Map;

/**
 * A causal language model of any family. Token windows are row-major int arrays [B, T + 1]: the
 * model reads [:, :T] and predicts [:, 1:]. Instances are not thread-safe (one per thread/task).
 */
public interface LanguageModel {
    ModelConfig config();

    /** The flat parameters and gradients with their named layout. */
    ParamStore params();

    /**
     * Forward and backward over a batch of windows: accumulates ({@code +=}) the gradient of
     * {@link StepStats#totalLoss()} (mean over the batch's tokens) into {@code params().grads()}.
     * The caller zeroes gradients between optimizer steps.
     */
    StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne);

    /** Forward only: summed CE and token count, and the logits [B, T, V] when {@code withLogits}. */
    EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits);

    default EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne) {
        return evaluate(tokens, batch, seqLenPlusOne, false);
    }

    /**
     * Analytic forward multiply-adds per token at sequence length T, MODELS.md section 6 convention
     * (every matmul, full T x T attention, routers; embedding and LM head excluded).
     */
    long analyticMacsPerToken(int seqLen);

    /** Forward multiply-adds per token of the LM head (reported separately by the convention). */
    long headMacsPerToken();

    /**
     * Training FLOPs per token for MFU: 6 x (forward MACs incl. the head) — 2 FLOPs per MAC and a
     * backward costing twice the forward.
     */
    default double trainingFlopsPerToken(int seqLen) {
        return 6.0 * (analyticMacsPerToken(seqLen) + headMacsPerToken());
    }

    /**
     * The expert load routed since the previous call (summed over forward passes, training and
     * evaluation), and resets it. Families without routing return {@link RoutingStats#EMPTY}.
     */
    default RoutingStats drainRoutingStats() {
        return RoutingStats.EMPTY;
    }

    /**
     * Per-token compute that the forward passes since the previous call actually executed (MODELS.md
     * section 5), and resets it: exact, mergeable counts keyed by what they measure ({@code depth}:
     * layer applications, {@code width}: width fraction, {@code blocks}: blocks executed,
     * {@code flops}: forward FLOPs). Families whose per-token compute is the same for every token
     * return an empty map (the trainer records those analytically).
     */
    default Map<String, Histogram> drainComputeHistograms() {
        return Map.of();
    }

    /**
     * Per-window training state that outlives a replica (SHARCS: each training window's confidence
     * history, which labels its router): the model reads {@code history} (never modifies it: it may
     * be a broadcast shared by tasks) and records its own visits from then on. Families without
     * per-window state ignore it.
     */
    default void useSampleHistory(ConfidenceHistory history) {}

    /**
     * The per-window visits recorded by training steps since the previous call (or since
     * {@link #useSampleHistory}), and resets them: what a round returns for the driver to apply.
     * Null for families without per-window state.
     */
    default ConfidenceHistory.Visits drainSampleVisits() {
        return null;
    }
}
