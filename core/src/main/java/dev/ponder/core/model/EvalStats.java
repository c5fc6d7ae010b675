package dev.ponder.core.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one evaluation forward reports: the summed next-token cross-entropy and the token count
 * (sums, so shards and workers merge by addition), the auxiliary loss in evaluation mode, the raw
 * logits [B, T, V] when requested (outside any workspace; otherwise null), and named scalars.
 */
public record EvalStats(double ceSum, long tokens, double auxLoss, INDArray logits, Map<String, Double> scalars) {
    public EvalStats {
        scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
    }

    /** Mean cross-entropy per token (nats). */
    public double meanLoss() {
        return tokens == 0 ? Double.NaN : ceSum / tokens;
    }

    public double perplexity() {
        return Math.exp(meanLoss());
    }

    /** A copy with one more named scalar. */
    public EvalStats with(String key, double value) {
        Map<String, Double> m = new LinkedHashMap<>(scalars);
        m.put(key, value);
        return new EvalStats(ceSum, tokens, auxLoss, logits, m);
    }
}
