package dev.ponder.spark.bench;

import dev.ponder.spark.train.TaskPlacement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.BlockManagerId;
import scala.collection.JavaConverters;

/**
 * One application's rounds alternately on one executor and on all of them, so the two layouts
 * are measured side by side on the same executor JVMs (same JIT state, same moment of a shared
 * machine whose speed drifts by tens of percent over minutes). Rounds go in blocks of
 * {@code block}: in even blocks every task prefers one executor (a different one from one such
 * block to the next), so the tasks run there in turn (one long-lived task hosting all of them,
 * with train.persistent_tasks); in odd blocks task p prefers executor p mod n. Blocks longer than
 * one round let long-lived tasks run several rounds before the layout changes and their gang
 * restarts. The application must not let a task fall back to
 * another executor while its preferred one is busy: set spark.locality.wait above a round's time
 * ({@link #SPARK_CONF}); the benchmark checks each round's executor count afterwards.
 */
public final class AlternatingPlacement implements TaskPlacement {
    /** Spark settings that keep tasks on their preferred executor for the whole round. */
    public static final Map<String, String> SPARK_CONF = Map.of("spark.locality.wait", "1h");

    /** Task locations of the executors, ordered by executor ID. */
    private final List<String> executors;
    /** Consecutive rounds of one layout. */
    private final int block;

    AlternatingPlacement(List<String> executors, int block) {
        if (executors.size() < 2) {
            throw new IllegalArgumentException("alternating placement needs at least 2 executors, found " + executors);
        }
        if (block < 1) {
            throw new IllegalArgumentException("alternating placement: expected a block of >= 1 rounds, found " + block);
        }
        this.executors = List.copyOf(executors);
        this.block = block;
    }

    /**
     * The placement over {@code count} executors of {@code sc}'s application, waiting up to
     * {@code timeoutSeconds} for their block managers to register (the scheduler may count an
     * executor a moment before its block manager is known); layouts change every {@code block} rounds.
     */
    public static AlternatingPlacement of(JavaSparkContext sc, int count, int timeoutSeconds, int block) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        List<BlockManagerId> ids = registered();
        while (ids.size() < count && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors", e);
            }
            ids = registered();
        }
        if (ids.size() != count) {
            throw new IllegalStateException("expected " + count + " executors registered within " + timeoutSeconds
                    + " s, found " + ids.size() + " (" + ids + ")");
        }
        ids.sort(Comparator.comparing(BlockManagerId::executorId));
        List<String> locations = new ArrayList<>();
        ids.forEach(id -> locations.add(location(id.host(), id.executorId())));
        return new AlternatingPlacement(locations, block);
    }

    /** Spark's task-location string for an executor (ExecutorCacheTaskLocation's format). */
    static String location(String host, String executorId) {
        return "executor_" + host + "_" + executorId;
    }

    /**
     * The executors' block managers the driver knows (host and executor ID, the two parts of a
     * task location; SparkContext.getExecutorIds has the IDs only).
     */
    private static List<BlockManagerId> registered() {
        List<BlockManagerId> ids = new ArrayList<>();
        for (BlockManagerId id : JavaConverters.asJavaCollection(
                SparkEnv.get().blockManager().master().getMemoryStatus().keys())) {
            if (!id.isDriver()) {
                ids.add(id);
            }
        }
        return ids;
    }

    /**
     * Whether round {@code round} runs all its tasks on one executor (else spread over all of them),
     * with layouts changing every {@code block} rounds.
     */
    public static boolean oneExecutorRound(int round, int block) {
        return (round / block) % 2 == 0;
    }

    @Override
    public List<List<String>> locations(int round, int partitions) {
        List<List<String>> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int e = oneExecutorRound(round, block) ? (round / block / 2) % executors.size() : p % executors.size();
            out.add(List.of(executors.get(e)));
        }
        return out;
    }
}
