package dev.ponder.spark.train;

import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.LrSchedule;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.Serializable;

/** The {@code train.*} keys (and seed, data.path) as typed values. */
public record TrainSettings(
        long seed,
        String dataPath,
        int steps,
        int batchSize,
        int seqLen,
        double lr,
        double minLrRatio,
        int warmupSteps,
        double weightDecay,
        double beta1,
        double beta2,
        double eps,
        double gradClip,
        int workers,
        int localSteps,
        int threadsPerWorker,
        int checkpointEvery,
        int keepCheckpoints,
        int logEvery,
        int evalEvery,
        int evalBatches,
        boolean persistentTasks) implements Serializable {

    public TrainSettings {
        positive("train.steps", steps);
        positive("train.batch_size", batchSize);
        positive("train.seq_len", seqLen);
        positive("train.workers", workers);
        positive("train.local_steps", localSteps);
        positive("train.keep_checkpoints", keepCheckpoints);
        positive("train.log_every", logEvery);
        positive("train.eval_batches", evalBatches);
        if (threadsPerWorker < 0) {
            throw new IllegalArgumentException("config key train.threads_per_worker: expected >= 0, found "
                    + threadsPerWorker);
        }
        if (checkpointEvery < 0 || evalEvery < 0) {
            throw new IllegalArgumentException("train.checkpoint_every / train.eval_every: expected >= 0, found "
                    + checkpointEvery + " / " + evalEvery);
        }
    }

    private static void positive(String key, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("config key " + key + ": expected an integer >= 1, found " + v);
        }
    }

    public static TrainSettings from(ResolvedConfig c) {
        return new TrainSettings(c.getLong("seed"), c.getString("data.path"), c.getInt("train.steps"),
                c.getInt("train.batch_size"), c.getInt("train.seq_len"), c.getDouble("train.lr"),
                c.getDouble("train.min_lr_ratio"), c.getInt("train.warmup_steps"), c.getDouble("train.weight_decay"),
                c.getDouble("train.beta1"), c.getDouble("train.beta2"), c.getDouble("train.eps"),
                c.getDouble("train.grad_clip"), c.getInt("train.workers"), c.getInt("train.local_steps"), c.getInt("train.threads_per_worker"),
                c.getInt("train.checkpoint_every"), c.getInt("train.keep_checkpoints"), c.getInt("train.log_every"),
                c.getInt("train.eval_every"), c.getInt("train.eval_batches"), c.getBool("train.persistent_tasks"));
    }

    public AdamW.Config adam() {
        return new AdamW.Config(beta1, beta2, eps, weightDecay);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lr, warmupSteps, steps, minLrRatio);
    }

    /** ND4J threads for each training task under {@code master} with {@code taskCpus} = spark.task.cpus. */
    public int threadsPerTask(String master, int taskCpus) {
        if (threadsPerWorker > 0) {
            return threadsPerWorker;
        }
        return master.startsWith("local") ? dev.ponder.core.train.ComputeThreads.forLocalMaster(master, workers)
                : Math.max(1, taskCpus);
    }

    public int window() {
        return seqLen + 1;
    }
}
