package dev.ponder.spark.train;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.prep.shard.Cursor;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Sums over the workers of one round (like an MLlib aggregator: built per partition, merged by
 * addition, divided once on the driver). Per-step arrays are indexed by local step. Losses are
 * token-weighted sums and {@link #stepTokens} their token counts, so the driver's mean is the
 * exact mean over every token of the step, however the workers' batches were sized (no average
 * of averages); per-token compute histograms and expert loads are exact counts.
 */
public final class RoundResult implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Written in bulk by {@link #writeObject} (not final: {@link #readObject} assigns them). */
    transient float[] params;
    transient float[] optimizerState;
    /**
     * A worker's result before it leaves the executor: its parameters and optimizer state are
     * still in this replica (null once copied into {@link #params} and {@link #optimizerState}).
     */
    private transient LocalTrainer replica;
    final double[] ceLoss;
    final double[] auxLoss;
    final double[] gradNorm;
    final double[] lr;
    /** Tokens of local step k over all replicas (the weights of ceLoss and auxLoss). */
    final long[] stepTokens;
    /** Per-token compute (depth, width, experts, flops), summed over the round's steps and workers. */
    final TreeMap<String, Histogram> histograms = new TreeMap<>();
    /** Expert load per routed module and repeat, summed over the round's steps and workers. */
    RoutingStats routing = RoutingStats.EMPTY;
    /** Per-window visits the replicas recorded (SHARCS confidences), for the driver's history; or null. */
    ConfidenceHistory.Visits visits;
    long tokens;
    int replicas;
    /**
     * Slowest worker's time in the local steps only, its whole task, fetching the broadcast, and
     * building its replica and loading the broadcast state into it (seconds).
     */
    double stepSeconds;
    /**
     * The task thread's CPU time in those local steps (the slowest worker's): below stepSeconds when
     * the thread waited for a core (other threads, other processes) or for its helper threads.
     */
    double stepCpuSeconds;
    double taskSeconds;
    double fetchSeconds;
    double replicaSeconds;
    final TreeMap<Integer, Cursor> cursors = new TreeMap<>();
    /** Spark executor IDs that ran the round's tasks ("driver" in local mode). */
    final TreeSet<String> executors = new TreeSet<>();
    final LinkedHashMap<String, Double> scalars = new LinkedHashMap<>();
    String failure;

    RoundResult(float[] params, float[] optimizerState, int localSteps) {
        this.params = params;
        this.optimizerState = optimizerState;
        this.ceLoss = new double[localSteps];
        this.auxLoss = new double[localSteps];
        this.gradNorm = new double[localSteps];
        this.lr = new double[localSteps];
        this.stepTokens = new long[localSteps];
    }

    /**
     * A worker's result whose parameters and optimizer state stay in {@code replica} until the
     * task result is serialized (streamed from native memory, no Java copy of the arrays), or
     * are copied out when merged or averaged in the same JVM.
     */
    static RoundResult ofReplica(LocalTrainer replica, int localSteps) {
        RoundResult r = new RoundResult(null, null, localSteps);
        r.replica = replica;
        return r;
    }

    /** Copies the replica's parameters and optimizer state into the arrays (once). */
    private void materialize() {
        if (replica != null) {
            params = new float[Math.toIntExact(replica.model().params().size())];
            optimizerState = new float[replica.optimizerStateSize()];
            replica.saveParams(params);
            replica.saveOptimizerState(optimizerState);
            replica = null;
        }
    }

    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        out.defaultWriteObject();
        if (replica != null) {
            BulkFloats.write(out, replica.model().params().params());
            BulkFloats.write(out, replica.optimizer().state());
        } else {
            BulkFloats.write(out, params);
            BulkFloats.write(out, optimizerState);
        }
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        params = BulkFloats.read(in);
        optimizerState = BulkFloats.read(in);
    }

    /**
     * Stamps a task's own result: {@code start} when the task began reading the round's input,
     * {@code fetched} when it had it, now the end; and the executor that ran it.
     */
    void stampTask(long start, long fetched) {
        fetchSeconds = (fetched - start) / 1e9;
        taskSeconds = (System.nanoTime() - start) / 1e9;
        executors.add(org.apache.spark.SparkEnv.get().executorId());
    }

    /** Adds {@code other} into this one and returns this. */
    RoundResult merge(RoundResult other) {
        materialize();
        other.materialize();
        addInto(params, other.params);
        addInto(optimizerState, other.optimizerState);
        for (int k = 0; k < ceLoss.length; k++) {
            ceLoss[k] += other.ceLoss[k];
            auxLoss[k] += other.auxLoss[k];
            gradNorm[k] += other.gradNorm[k];
            lr[k] = Math.max(lr[k], other.lr[k]); // identical on every worker
            stepTokens[k] += other.stepTokens[k];
        }
        other.histograms.forEach((name, h) -> histograms.merge(name, h, Histogram::merge));
        routing = routing.merge(other.routing);
        if (other.visits != null) {
            visits = visits == null ? other.visits : visits.merge(other.visits);
        }
        tokens += other.tokens;
        replicas += other.replicas;
        if (other.stepSeconds > stepSeconds) {
            stepCpuSeconds = other.stepCpuSeconds;                // the CPU time of the slowest worker's steps
        }
        stepSeconds = Math.max(stepSeconds, other.stepSeconds);
        taskSeconds = Math.max(taskSeconds, other.taskSeconds);
        fetchSeconds = Math.max(fetchSeconds, other.fetchSeconds);
        replicaSeconds = Math.max(replicaSeconds, other.replicaSeconds);
        cursors.putAll(other.cursors);
        executors.addAll(other.executors);
        other.scalars.forEach((k, v) -> scalars.merge(k, v, Double::sum));
        if (failure == null) {
            failure = other.failure;
        }
        return this;
    }

    private static void addInto(float[] acc, float[] x) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += x[i];
        }
    }

    /** Divides the parameter and optimizer sums by the number of replicas, in place. */
    void average() {
        materialize();
        float inv = 1f / replicas;
        for (int i = 0; i < params.length; i++) {
            params[i] *= inv;
        }
        for (int i = 0; i < optimizerState.length; i++) {
            optimizerState[i] *= inv;
        }
    }

    public Map<String, Double> scalars() {
        return scalars;
    }
}
