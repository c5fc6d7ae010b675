package dev.ponder.core.tensor;

import java.util.stream.IntStream;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Splits host-side work (row gathers, top-k, regulariser, fused kernels) over the threads this task may
 * use while ND4J's own threads are idle. The thread count is ND4J's configured maximum (set per
 * task by {@code ComputeThreads}), so a Spark task never uses more cores than it was given. Each
 * index range is processed by exactly one thread in a fixed order, so results do not depend on
 * scheduling.
 */
public final class HostParallel {
    /** Below this many scalar operations the work runs on the calling thread. */
    public static final long MIN_PARALLEL_WORK = 1L << 17;

    private HostParallel() {}

    /** A body over an index range [from, to). */
    public interface Range {
        void run(int from, int to);
    }

    /** A body over the index range [from, to) of chunk {@code chunk}. */
    public interface Chunk {
        void run(int chunk, int from, int to);
    }

    /**
     * The number of chunks {@link #forChunks} splits [0, n) into for this much work (1 when small);
     * callers size per-chunk partial results with it.
     */
    public static int chunks(int n, long work) {
        return work < MIN_PARALLEL_WORK ? 1 : Math.max(1, Math.min(n, threads()));
    }

    /**
     * Runs {@code body} over [0, n) split into {@code chunks} contiguous chunks, in parallel; chunk i
     * covers [n i / chunks, n (i + 1) / chunks). Per-chunk partials merged in chunk order give
     * results independent of scheduling.
     */
    public static void forChunks(int n, int chunks, Chunk body) {
        if (chunks <= 1) {
            body.run(0, 0, n);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(i -> body.run(i,
                (int) ((long) n * i / chunks), (int) ((long) n * (i + 1) / chunks)));
    }

    /** Runs {@code body} over [0, n) in contiguous chunks, in parallel when {@code work} is large enough. */
    public static void forRange(int n, long work, Range body) {
        int threads = work < MIN_PARALLEL_WORK ? 1 : Math.min(n, threads());
        if (threads <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, threads).parallel().forEach(i -> body.run(
                (int) ((long) n * i / threads), (int) ((long) n * (i + 1) / threads)));
    }

    /**
     * The calling thread's budget, set by {@code ComputeThreads} for a task's thread (null: none
     * set). Per thread because several tasks share an executor JVM (local[2]: two tasks of one
     * thread each); ND4J's own setting is process-wide and, measured on M2.1, setMaxThreads does not
     * even change what maxThreads() returns, so tasks of a local[2] run each split their work over 2
     * threads (4 on 2 cores) and partial sums came out chunked differently than on 1-thread
     * executors.
     */
    private static final ThreadLocal<Integer> TASK_THREADS = new ThreadLocal<>();

    /** Sets the calling thread's compute threads (a task's cores). */
    public static void setTaskThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, found " + threads);
        }
        TASK_THREADS.set(threads);
    }

    /**
     * The compute threads this task may use: the calling thread's budget when one was set, else
     * ND4J's configured maximum; at most the machine's cores.
     */
    public static int threads() {
        Integer task = TASK_THREADS.get();
        int budget = task != null ? task : Nd4j.getEnvironment().maxThreads();
        return Math.max(1, Math.min(budget, Runtime.getRuntime().availableProcessors()));
    }
}
