package dev.ponder.core.optim;

/**
 * Linear warmup then cosine decay to {@code minLrRatio * peakLr}; a pure function of the step, so
 * resuming from a checkpoint needs only the step counter.
 *
 * <p>{@code lr(s)} is the rate used by update number s + 1 (s = number of updates done so far):
 * s < warmup: peak * (s + 1) / warmup; then cosine over [warmup, totalSteps]:
 * min + (peak - min) * (1 + cos(pi * (s - warmup) / (totalSteps - warmup))) / 2; after totalSteps:
 * min. MoEUT's recipe is warmup 0, cosine to 0.1x.
 */
public record LrSchedule(double peakLr, long warmupSteps, long totalSteps, double minLrRatio) {
    public LrSchedule {
        if (!(peakLr > 0) || Double.isInfinite(peakLr)) {
            throw new IllegalArgumentException("train.lr: expected a positive finite number, found " + peakLr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("train.warmup_steps: expected >= 0, found " + warmupSteps);
        }
        if (totalSteps < 1 || totalSteps < warmupSteps) {
            throw new IllegalArgumentException("train.steps: expected >= max(1, warmup_steps = " + warmupSteps
                    + "), found " + totalSteps);
        }
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
            throw new IllegalArgumentException("train.min_lr_ratio: expected a value in [0, 1], found " + minLrRatio);
        }
    }

    /** A constant rate (no warmup, no decay). */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, 0, 1, 1.0);
    }

    /** The learning rate for the update that follows {@code step} completed updates. */
    public double lr(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step: expected >= 0, found " + step);
        }
        if (step < warmupSteps) {
            return peakLr * (step + 1) / warmupSteps;
        }
        double min = peakLr * minLrRatio;
        long span = totalSteps - warmupSteps;
        if (span <= 0 || step >= totalSteps) {
            return span <= 0 ? peakLr : min;
        }
        double progress = (double) (step - warmupSteps) / span;
        return min + (peakLr - min) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
    }
}
