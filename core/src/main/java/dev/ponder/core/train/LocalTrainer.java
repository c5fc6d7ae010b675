package dev.ponder.core.train;

import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.StepStats;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.GradClip;
import dev.ponder.core.optim.LrSchedule;
import dev.ponder.core.params.ParamStore;

/** A model with its optimizer, schedule and clipping: one replica of data-parallel training. */
public final class LocalTrainer {
    /** What one optimizer step did. */
    public record StepResult(StepStats stats, double gradNorm, double lr) {}

    private final LanguageModel model;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final double clip;

    public LocalTrainer(LanguageModel model, AdamW.Config adam, LrSchedule schedule, double clip) {
        this.model = model;
        this.optimizer = new AdamW(model.params(), adam);
        this.schedule = schedule;
        this.clip = clip;
    }

    public LanguageModel model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Optimizer steps taken (the schedule's position). */
    public long step() {
        return optimizer.stepCount();
    }

    /**
     * zero grads -> forward/backward on [batch, window] -> clip -> AdamW at lr(step). A non-finite
     * loss or gradient norm is returned without updating the parameters: the caller stops.
     */
    public StepResult step(int[] tokens, int batch, int window) {
        ParamStore store = model.params();
        store.zeroGrads();
        StepStats stats = model.forwardBackward(tokens, batch, window);
        double norm = GradClip.globalNorm(store.grads());
        double lr = schedule.lr(optimizer.stepCount());
        if (Double.isFinite(stats.totalLoss()) && Double.isFinite(norm)) {
            optimizer.step(lr, GradClip.scale(norm, clip));                // the clip rides on the update's pass
        }
        return new StepResult(stats, norm, lr);
    }

    /** Replaces parameters, optimizer state and step (a broadcast round start or a checkpoint). */
    public void load(float[] params, float[] optimizerState, long step) {
        model.params().copyParamsFrom(params);
        optimizer.copyStateFrom(optimizerState);
        optimizer.setStepCount(step);
    }

    public int optimizerStateSize() {
        return Math.toIntExact(optimizer.state().length());
    }

    public void saveParams(float[] dst) {
        model.params().copyParamsTo(dst);
    }

    public void saveOptimizerState(float[] dst) {
        optimizer.copyStateTo(dst);
    }
}
