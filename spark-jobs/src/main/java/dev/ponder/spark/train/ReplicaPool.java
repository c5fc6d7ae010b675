package dev.ponder.spark.train;

import dev.ponder.core.train.LocalTrainer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Replicas kept between the rounds of one executor JVM, so a task loads the broadcast into
 * buffers it already has instead of allocating 4 x parameters of native memory each round
 * (measured 0.8-1.9 s per task at 12.8M parameters on this machine, where fresh memory costs
 * about 3.5 ms per MB to fault in, against 0.01-0.05 s to load into a kept replica).
 *
 * <p>A kept replica must behave exactly as a fresh one after {@link LocalTrainer#load}: that
 * holds for families whose only mutable state besides parameters and optimizer (moments and
 * step, all loaded) is drained every step (routing statistics). Only those families are pooled;
 * others (halting or width policies with label history, say) get a fresh replica every task.
 * ReplicaPoolTest checks kept == fresh bit for bit. A task that fails never returns its replica.
 */
final class ReplicaPool {
    /** Families whose replicas hold no state that survives {@link LocalTrainer#load}. */
    static final Set<String> POOLED_FAMILIES = Set.of("dense", "moe", "moeut");
    /** Idle replicas per concurrent task slot; more than a few would only hold memory. */
    private static final int MAX_IDLE = 4;

    private static String key;
    private static final Deque<LocalTrainer> IDLE = new ArrayDeque<>();

    private ReplicaPool() {}

    /** A replica holding the given state: a kept one when the plan (and device) matches, else a new one. */
    static LocalTrainer borrow(TrainPlan plan, float[] params, float[] optimizerState, long step) {
        plan.prepareThread();
        String k = keyOf(plan);
        LocalTrainer kept = null;
        synchronized (ReplicaPool.class) {
            if (k.equals(key)) {
                kept = IDLE.pollFirst();
            }
        }
        if (kept == null) {
            return plan.loadedTrainer(params, optimizerState, step);
        }
        kept.load(params, optimizerState, step);
        return kept;
    }

    /** Keeps {@code t} for the next round of the same plan (replicas of any other plan are dropped). */
    static void giveBack(TrainPlan plan, LocalTrainer t) {
        if (!POOLED_FAMILIES.contains(plan.modelConfig().family())) {
            return;
        }
        String k = keyOf(plan);
        synchronized (ReplicaPool.class) {
            if (!k.equals(key)) {
                IDLE.clear(); // a new run or model: the old replicas' memory goes back with the GC
                key = k;
            }
            if (IDLE.size() < MAX_IDLE) {
                IDLE.addFirst(t);
            }
        }
    }

    /** Architecture, optimizer settings, threads and the device the calling thread is bound to. */
    private static String keyOf(TrainPlan plan) {
        return plan.model() + "|" + plan.train().adam() + "|" + plan.train().schedule() + "|" + plan.train().gradClip()
                + "|" + plan.train().seed() + "|" + plan.threads() + "|" + Nd4j.getAffinityManager().getDeviceForCurrentThread();
    }

    /** Drops every kept replica (tests). */
    static synchronized void clear() {
        IDLE.clear();
        key = null;
    }
}
