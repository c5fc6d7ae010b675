package dev.ponder.spark.train;

import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.train.ComputeThreads;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.ShardDataset;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything an executor needs besides the round's broadcast: small and immutable, the only
 * object Spark closures capture. The model config travels as its key map (rebuilt and
 * re-validated on the executor).
 */
public record TrainPlan(LinkedHashMap<String, Object> model, TrainSettings train, ShardDataset data, int threads)
        implements Serializable {

    public static TrainPlan of(ModelConfig model, TrainSettings train, ShardDataset data, int threads) {
        return new TrainPlan(new LinkedHashMap<>(model.toMap()), train, data, threads);
    }

    public ModelConfig modelConfig() {
        return ModelConfig.fromMap(model);
    }

    public Map<String, Object> modelMap() {
        return model;
    }

    /** ND4J settings of the calling task's thread: its CPU threads and, on GPU executors, its device. */
    public void prepareThread() {
        ComputeThreads.apply(threads);
        TaskDevice.bind();
    }

    /**
     * A replica holding {@code params}, {@code optimizerState} and {@code step} (a round's
     * broadcast): built without the seeded draws, which it would overwrite at once (seconds per
     * task at 10M parameters, as much as the local steps of a small model).
     */
    public LocalTrainer loadedTrainer(float[] params, float[] optimizerState, long step) {
        prepareThread();
        LanguageModel m = ModelFactory.createForLoad(modelConfig(), train.seed());
        LocalTrainer t = new LocalTrainer(m, train.adam(), train.schedule(), train.gradClip());
        t.load(params, optimizerState, step);
        return t;
    }

    /**
     * {@code trainer} (a replica of this plan from an earlier round) holding {@code params},
     * {@code optimizerState} and {@code step} instead: what {@link #loadedTrainer} gives, without
     * building the model again. A replica's state between rounds is exactly those three (dropout
     * draws derive from each batch's tokens, routing and compute statistics are drained every step,
     * SHARCS's history is set per round), so the result is the same either way (WorkerGangTest).
     */
    public LocalTrainer reloaded(LocalTrainer trainer, float[] params, float[] optimizerState, long step) {
        prepareThread();
        trainer.load(params, optimizerState, step);
        return trainer;
    }

    /** A freshly initialised replica with the plan's architecture (seeded weights). */
    public LocalTrainer newTrainer() {
        prepareThread();
        LanguageModel m = ModelFactory.create(modelConfig(), train.seed());
        return new LocalTrainer(m, train.adam(), train.schedule(), train.gradClip());
    }
}
