package dev.ponder.spark.train;

import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * How many tasks the application can run at once now (registered executors' cores over
 * spark.task.cpus, and their GPUs over the task GPU amount: Spark's own count for barrier stages).
 */
public final class TaskSlots {
    private TaskSlots() {}

    public static int now(JavaSparkContext sc) {
        SparkContext c = sc.sc();
        return c.maxNumConcurrentTasks(c.resourceProfileManager().defaultResourceProfile());
    }

    /**
     * Waits up to {@code timeoutSeconds} for {@code wanted} slots (executors register a few seconds
     * after the application starts, one by one); returns the slots there are then.
     */
    public static int await(JavaSparkContext sc, int wanted, int timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        int slots = now(sc);
        while (slots < wanted && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return now(sc);
            }
            slots = now(sc);
        }
        return slots;
    }
}
