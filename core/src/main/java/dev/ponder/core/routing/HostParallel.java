package dev.ponder.core.routing;

import java.util.stream.IntStream;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Splits host-side routing work (row gathers, top-k, regulariser) over the threads this task may
 * use while ND4J's own threads are idle. The thread count is ND4J's configured maximum (set per
 * task by {@code ComputeThreads}), so a Spark task never uses more cores than it was given. Each
 * index range is processed by exactly one thread in a fixed order, so results do not depend on
 * scheduling.
 */
final class HostParallel {
    /** Below this many scalar operations the work runs on the calling thread. */
    static final long MIN_PARALLEL_WORK = 1L << 17;

    private HostParallel() {}

    /** A body over an index range [from, to). */
    interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in contiguous chunks, in parallel when {@code work} is large enough. */
    static void forRange(int n, long work, Range body) {
        int threads = work < MIN_PARALLEL_WORK ? 1 : Math.min(n, threads());
        if (threads <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, threads).parallel().forEach(i -> body.run(
                (int) ((long) n * i / threads), (int) ((long) n * (i + 1) / threads)));
    }

    /** The compute threads this task may use. */
    static int threads() {
        return Math.max(1, Math.min(Nd4j.getEnvironment().maxThreads(), Runtime.getRuntime().availableProcessors()));
    }
}
