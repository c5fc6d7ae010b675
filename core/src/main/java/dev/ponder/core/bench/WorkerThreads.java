package dev.ponder.core.bench;

import dev.ponder.core.train.ComputeThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Replicas stepping side by side, as a training run's workers do: one thread per replica, kept for
 * the whole benchmark (each thread's ND4J workspace learns its replica's step), each with
 * {@code threadsPerWorker} compute threads; with 0 the single replica runs on the caller.
 */
final class WorkerThreads<R> implements AutoCloseable {
    private final ExecutorService[] threads;

    WorkerThreads(int workers, int threadsPerWorker) {
        if (threadsPerWorker < 1) {
            threads = null;
            return;
        }
        threads = new ExecutorService[workers];
        for (int i = 0; i < workers; i++) {
            int index = i;
            threads[i] = Executors.newSingleThreadExecutor(r -> {
                Thread th = new Thread(r, "bench-worker-" + index);
                th.setDaemon(true);
                return th;
            });
            join(threads[i].submit(() -> ComputeThreads.apply(threadsPerWorker)), "bench worker");
        }
    }

    /** Runs {@code task} on every replica at once, each on its thread; their results in replica order. */
    double[][] each(R[] replicas, Function<R, double[]> task) {
        double[][] out = new double[replicas.length][];
        if (threads == null) {
            out[0] = task.apply(replicas[0]);
            return out;
        }
        List<Future<double[]>> running = new ArrayList<>();
        for (int i = 0; i < replicas.length; i++) {
            R rep = replicas[i];
            running.add(threads[i].submit(() -> task.apply(rep)));
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = join(running.get(i), "bench worker");
        }
        return out;
    }

    /** The task's result, its own RuntimeException rethrown ({@code what} names the benchmark). */
    static <T> T join(Future<T> f, String what) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(what + " failed",
                    e.getCause());
        }
    }

    @Override
    public void close() {
        if (threads != null) {
            for (ExecutorService t : threads) {
                t.shutdownNow();
            }
        }
    }
}
