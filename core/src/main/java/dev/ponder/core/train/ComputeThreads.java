package dev.ponder.core.train;

import dev.ponder.core.tensor.HostGemm;
import dev.ponder.core.tensor.HostParallel;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sets how many threads ND4J's native kernels (OpenMP loops) and the host kernels (HostParallel,
 * HostGemm's split gemms) use in this process; OpenBLAS itself runs one thread per call. Spark
 * runs several training tasks in one executor JVM, so each must get cores / concurrent tasks;
 * with the default every task takes all cores and contended cores run ND4J many times slower.
 */
public final class ComputeThreads {
    private ComputeThreads() {}

    public static void apply(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, found " + threads);
        }
        if (Nd4j.getEnvironment().maxThreads() != threads) {
            Nd4j.getEnvironment().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
        }
        // the host kernels' budget, on this (the task's) thread: see HostParallel.threads
        HostParallel.setTaskThreads(threads);
        // gemms are split over the task's threads by HostGemm itself (CPU); OpenBLAS runs each part
        HostGemm.pinBlasToOneThread();
    }

    /** Threads per task for {@code workers} concurrent tasks on a local master such as local[4] or local[*]. */
    public static int forLocalMaster(String master, int workers) {
        int cores = Runtime.getRuntime().availableProcessors();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)").matcher(master);
        if (m.find()) {
            cores = Integer.parseInt(m.group(1));
        } else if (master.equals("local")) {
            cores = 1;
        }
        return Math.max(1, cores / Math.max(1, Math.min(cores, workers)));
    }
}
