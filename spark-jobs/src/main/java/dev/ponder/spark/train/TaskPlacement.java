package dev.ponder.spark.train;

import java.util.List;

/**
 * Where the tasks of a training round should run: Spark's preferred locations per partition
 * (strings as {@code org.apache.spark.scheduler.TaskLocation} parses them, e.g.
 * {@code executor_127.0.0.1_0}). Training itself leaves placement to Spark; benchmarks pin rounds
 * to executors to compare layouts inside one application (see the bench package's
 * AlternatingPlacement). Results do not depend on placement: a round computes the same
 * parameters wherever its tasks run.
 */
@FunctionalInterface
public interface TaskPlacement {
    /**
     * Preferred locations of each of the {@code partitions} tasks of this process's
     * {@code round}-th round (0-based); an empty list lets Spark choose.
     */
    List<List<String>> locations(int round, int partitions);
}
