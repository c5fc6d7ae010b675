package dev.ponder.spark.train;

import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.WindowStream;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;

/**
 * Executor side of a round: builds a replica from the plan, loads the broadcast state, trains
 * {@code localSteps} steps on its slice of the training windows and returns its sums. Stateless
 * between tasks (no static caches), so a rerun task computes the same result.
 */
final class PartitionTrainer {
    private PartitionTrainer() {}

    /** One task of a round; also times the broadcast fetch (the first use on an executor downloads it). */
    static Iterator<RoundResult> run(TrainPlan plan, Broadcast<RoundInput> round, int partition) {
        long start = System.nanoTime();
        RoundInput in = round.value();
        long fetched = System.nanoTime();
        RoundResult r = train(plan, in, partition);
        r.stampTask(start, fetched);
        return List.of(r).iterator();
    }

    static RoundResult train(TrainPlan plan, RoundInput in, int partition) {
        long replicaStart = System.nanoTime();
        LocalTrainer trainer = plan.loadedTrainer(in.params(), in.optimizerState(), in.step());
        return trainLoaded(plan, in, partition, trainer, (System.nanoTime() - replicaStart) / 1e9);
    }

    /**
     * The round on {@code trainer}, already holding the round's parameters, optimizer state and
     * step ({@code replicaSeconds} to build or load it). Its result streams the replica's state when
     * serialized, so the replica must not train again before then.
     */
    static RoundResult trainLoaded(TrainPlan plan, RoundInput in, int partition, LocalTrainer trainer,
            double replicaSeconds) {
        TrainSettings s = plan.train();
        if (in.history() != null) {
            trainer.model().useSampleHistory(in.history());               // read-only: the broadcast is shared
        }
        WindowStream stream = plan.data().stream(Manifest.TRAIN, partition, s.workers(), in.cursors().get(partition));
        int dataWindow = plan.data().manifest().window();
        int[] rows = null;
        int[] batch = new int[s.batchSize() * s.window()];
        RoundResult out = RoundResult.ofReplica(trainer, in.localSteps()); // arrays stay in the replica
        long stepsStart = System.nanoTime();
        long cpuStart = threadCpuNanos();
        for (int k = 0; k < in.localSteps(); k++) {
            rows = stream.nextBatch(s.batchSize(), rows);
            int[] tokens = crop(rows, s.batchSize(), dataWindow, s.window(), batch);
            LocalTrainer.StepResult r = trainer.step(tokens, s.batchSize(), s.window());
            long n = r.stats().tokens();
            out.ceLoss[k] = r.stats().ceLoss() * n; // token-weighted sums: see RoundResult
            out.auxLoss[k] = r.stats().auxLoss() * n;
            out.stepTokens[k] = n;
            out.gradNorm[k] = r.gradNorm();
            out.lr[k] = r.lr();
            out.tokens += n;
            r.stats().scalars().forEach((name, v) -> out.scalars.merge(name, v * n, Double::sum));
            ComputeStats.record(trainer.model(), n, s.seqLen(), out);
            if (!Double.isFinite(r.stats().totalLoss()) || !Double.isFinite(r.gradNorm())) {
                out.failure = "non-finite loss " + r.stats().totalLoss() + " or gradient norm " + r.gradNorm()
                        + " at step " + (in.step() + k + 1) + " on worker " + partition;
                break;
            }
        }
        out.stepSeconds = (System.nanoTime() - stepsStart) / 1e9;
        out.stepCpuSeconds = cpuStart < 0 ? Double.NaN : (threadCpuNanos() - cpuStart) / 1e9;
        out.visits = trainer.model().drainSampleVisits();
        out.replicas = 1;
        out.replicaSeconds = replicaSeconds;
        out.cursors.put(partition, stream.position());
        return out;
    }

    /** CPU time of the calling (task) thread, or -1 where the JVM does not measure it. */
    static long threadCpuNanos() {
        java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
        return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : -1;
    }

    /** The first {@code window} ids of each stored row (the model may train on shorter contexts). */
    static int[] crop(int[] rows, int batch, int dataWindow, int window, int[] dst) {
        if (dataWindow == window) {
            return rows;
        }
        for (int b = 0; b < batch; b++) {
            System.arraycopy(rows, b * dataWindow, dst, b * window, window);
        }
        return dst;
    }
}
