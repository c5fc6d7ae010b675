package dev.ponder.core.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one training forward/backward reports: the mean next-token cross-entropy, the auxiliary /
 * regularisation loss the family adds (already multiplied by its coefficients; 0 for dense), their
 * sum (the loss whose gradient was accumulated), the number of predicted tokens, and named scalars
 * for family-specific metrics (mean depth, width fraction, FLOPs per token, ...).
 */
public record StepStats(double ceLoss, double auxLoss, double totalLoss, long tokens, Map<String, Double> scalars) {
    public StepStats {
        scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
    }

    public static StepStats of(double ceLoss, double auxLoss, long tokens) {
        return new StepStats(ceLoss, auxLoss, ceLoss + auxLoss, tokens, Map.of());
    }

    /** A copy with one more named scalar. */
    public StepStats with(String key, double value) {
        Map<String, Double> m = new LinkedHashMap<>(scalars);
        m.put(key, value);
        return new StepStats(ceLoss, auxLoss, totalLoss, tokens, m);
    }
}
