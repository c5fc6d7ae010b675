package dev.ponder.core.routing;

import dev.ponder.core.tensor.HostGemm;
import dev.ponder.core.tensor.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One matmul per expert over its contiguous rows of a gathered matrix (rows sorted by expert,
 * {@code offsets} [E + 1] from {@link SlotSort}). Experts without rows are skipped, so only routed
 * rows are ever multiplied.
 *
 * <p>Why a loop of 2-D gemms and not one padded batched gemm (measured on the 2-core build machine,
 * moeut-tiny shapes): 64 experts x [512, 256] x [256, 64] ran at the same rate as one [32768, 256] x
 * [256, 64] gemm and as the batched [64, 512, 256] x [64, 256, 64] one (within 5%), so padding every
 * expert to the largest one could only add work (expert max/mean load is 1.1-1.3 at initialisation
 * and grows in training) plus a copy into the padded layout.
 *
 * <p>On the CPU backend the loop calls CBLAS directly ({@link HostGemm}) and splits the experts
 * into contiguous groups balanced by rows (a few per compute thread, so idle threads take a
 * descheduled one's groups), with OpenBLAS at one thread each for the duration: OpenBLAS does not
 * thread gemms this small usefully, and the Mmul op's per-call cost dominated them. Measured at moeut-tiny shapes (64 experts x [512, 256] x [256, 64], 2-core
 * build machine): 24-29 ms through Mmul, 7.8-8.7 ms direct on two threads, for every operand layout
 * the dispatch uses (forward, transposed weights, weight gradients). Each expert's gemm runs on
 * exactly one thread in a fixed order, so results do not depend on scheduling.
 *
 * <p>Small loads through ND4J (other backends) are the exception: with few rows per expert (SUT's
 * late steps, where most tokens have halted) the per-expert loop is dominated by per-op costs
 * (each gemm and each view is an ND4J call, measured at 0.2-0.6 ms per [2, 256] x [256, 256] gemm on the shared 2-core machine, for
 * 0.13 MFLOP). When every expert has at most {@value #BATCHED_MAX_ROWS} rows and padding to the
 * largest load at most doubles the rows (plus a slack of {@value #BATCHED_SLACK_ROWS} per expert),
 * the rows are copied into a zero-padded [E, r, a] layout and multiplied by all experts in one
 * batched gemm. The padding rows are not counted as executed multiply-adds. Measured with 32
 * experts of [256, 256], interleaved, 1 thread, loaded machine: 1 row each 27 ms (loop) vs 9 ms
 * (batched), 4 rows 24 vs 15, 8 rows 21 vs 19, 16 rows 11 vs 20, 32 rows 14 vs 34: ND4J's batched
 * gemm is slow per FLOP, so only small loads take it.
 */
public final class ExpertMatmul {
    /** Largest per-expert load for the batched path. */
    static final int BATCHED_MAX_ROWS = 8;
    /** Padding allowed per expert on top of doubling the routed rows. */
    static final int BATCHED_SLACK_ROWS = 4;

    /** Set only for the duration of {@link #withPerExpertLoop}, on the calling thread. */
    private static final ThreadLocal<Boolean> LOOP_ONLY = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private ExpertMatmul() {}

    /**
     * Runs {@code body} with every expert matmul on this thread taking the per-expert loop, so that
     * the gemms run are exactly the routed rows (tests that account for every multiply-add, and
     * benchmarks comparing the two paths). Scoped to the call, like
     * {@link dev.ponder.core.params.ParamRegistry#withoutInitialization}.
     */
    public static <T> T withPerExpertLoop(java.util.function.Supplier<T> body) {
        Boolean before = LOOP_ONLY.get();
        LOOP_ONLY.set(Boolean.TRUE);
        try {
            return body.get();
        } finally {
            LOOP_ONLY.set(before);
        }
    }

    /** Whether {@code offsets} is a small load that one padded batched gemm runs faster than the loop. */
    static boolean batched(int[] offsets) {
        if (LOOP_ONLY.get()) {
            return false;
        }
        int e = offsets.length - 1;
        int r = maxRows(offsets);
        return offsets[e] > 0 && r <= BATCHED_MAX_ROWS
                && (long) e * r <= 2L * offsets[e] + (long) BATCHED_SLACK_ROWS * e;
    }

    /**
     * For each expert e: y[rows of e] = x[rows of e] op(w[e]), with w [E, a, b], x [S, a] and y
     * [S, b] (or [S, a] from x [S, b] when {@code transposeW}). Returns the multiply-adds executed.
     */
    public static long forward(INDArray x, INDArray w, int[] offsets, INDArray y, boolean transposeW) {
        HostGemm.Mat xm = HostGemm.hostMatrix(x);
        HostGemm.Mat ym = HostGemm.hostMatrix(y);
        if (xm != null && ym != null && HostGemm.matrixOf(w, 0) != null) {
            return eachExpert(offsets, (e, from, n) -> HostGemm.gemm(xm.rows(from, n), false,
                    HostGemm.matrixOf(w, e), transposeW, ym.rows(from, n), 1.0, 0.0), w.size(1) * w.size(2));
        }
        return forward(x, w, offsets, y, transposeW, batched(offsets));
    }

    static long forward(INDArray x, INDArray w, int[] offsets, INDArray y, boolean transposeW, boolean batched) {
        if (batched) {
            int r = maxRows(offsets);
            int[] padded = paddedRows(offsets, r);
            INDArray xp = pad(x, padded, offsets.length - 1, r);              // [E, r, a or b]
            INDArray yp = Ops.mm(xp, w, false, transposeW);                   // [E, r, a] x [E, a, b] -> [E, r, b]
            RowGather.copyRows(yp.reshape(yp.size(0) * r, yp.size(2)), padded, y, iota(padded.length));
            return (long) offsets[offsets.length - 1] * w.size(1) * w.size(2);
        }
        long macs = 0;
        for (int e = 0; e + 1 < offsets.length; e++) {
            int n = offsets[e + 1] - offsets[e];
            if (n == 0) {
                continue;
            }
            INDArray we = Views.matrix(w, e);
            // [n, a] x [a, b] -> [n, b]   (transposed: [n, b] x [b, a] -> [n, a])
            Ops.gemm(rows(x, offsets[e], n), we, rows(y, offsets[e], n), false, transposeW, 1.0, 0.0);
            macs += (long) n * we.length();
        }
        return macs;
    }

    /** For each expert e: dw[e] += x[rows of e]^T dy[rows of e] ([a, n] x [n, b] -> [a, b]). */
    public static long accumulateWeightGrad(INDArray x, INDArray dy, int[] offsets, INDArray dw) {
        HostGemm.Mat xm = HostGemm.hostMatrix(x);
        HostGemm.Mat dym = HostGemm.hostMatrix(dy);
        if (xm != null && dym != null && HostGemm.available(dw) && HostGemm.matrixOf(dw, 0) != null) {
            return eachExpert(offsets, (e, from, n) -> HostGemm.gemm(xm.rows(from, n), true, dym.rows(from, n),
                    false, HostGemm.matrixOf(dw, e), 1.0, 1.0), dw.size(1) * dw.size(2));
        }
        return accumulateWeightGrad(x, dy, offsets, dw, batched(offsets));
    }

    /** One expert's gemm over its sorted rows [from, from + n). */
    private interface ExpertGemm {
        void run(int expert, int from, int n);
    }

    /**
     * Runs {@code gemm} for every expert with rows, the experts split into contiguous groups of about
     * equal rows (a few per compute thread), with OpenBLAS at one thread meanwhile (restored after).
     * Returns the multiply-adds: routed rows x {@code macsPerRow}. Matmul probes see one call per expert.
     */
    private static long eachExpert(int[] offsets, ExpertGemm gemm, long macsPerRow) {
        int experts = offsets.length - 1;
        int rows = offsets[experts];
        Ops.MatmulProbe probe = Ops.matmulProbe();
        long t0 = probe == null ? 0 : System.nanoTime();
        int[] bounds = groups(offsets, HostGemm.groupsFor((long) rows * macsPerRow));
        HostGemm.inParallel(bounds.length - 1, g -> {
            for (int e = bounds[g]; e < bounds[g + 1]; e++) {
                int n = offsets[e + 1] - offsets[e];
                if (n > 0) {
                    gemm.run(e, offsets[e], n);
                }
            }
        });
        long macs = (long) rows * macsPerRow;
        if (probe != null) {
            int calls = 0;
            for (int e = 0; e < experts; e++) {
                calls += offsets[e + 1] > offsets[e] ? 1 : 0;
            }
            Ops.recordMatmuls(probe, calls, System.nanoTime() - t0, macs);
        }
        return macs;
    }

    /**
     * Expert boundaries of up to {@code threads} contiguous groups of about equal rows: group g is
     * experts [bounds[g], bounds[g + 1]).
     */
    static int[] groups(int[] offsets, int threads) {
        int experts = offsets.length - 1;
        int rows = offsets[experts];
        int[] bounds = new int[threads + 1];
        int e = 0;
        int count = 1;
        for (int g = 1; g < threads; g++) {
            long target = (long) rows * g / threads;
            while (e < experts && offsets[e] < target) {
                e++;
            }
            if (e > bounds[count - 1] && e < experts) {
                bounds[count++] = e;
            }
        }
        bounds[count++] = experts;
        return java.util.Arrays.copyOf(bounds, count);
    }

    static long accumulateWeightGrad(INDArray x, INDArray dy, int[] offsets, INDArray dw, boolean batched) {
        if (batched) {
            int e = offsets.length - 1;
            int r = maxRows(offsets);
            int[] padded = paddedRows(offsets, r);
            // padding rows are zero in both, so they add nothing: [E, a, r] x [E, r, b] -> [E, a, b]
            Ops.gemm(pad(x, padded, e, r), pad(dy, padded, e, r), dw, true, false, 1.0, 1.0);
            return (long) offsets[e] * dw.size(1) * dw.size(2);
        }
        long macs = 0;
        for (int e = 0; e + 1 < offsets.length; e++) {
            int n = offsets[e + 1] - offsets[e];
            if (n == 0) {
                continue;
            }
            INDArray dwe = Views.matrix(dw, e);
            Ops.gemm(rows(x, offsets[e], n), rows(dy, offsets[e], n), dwe, true, false, 1.0, 1.0);
            macs += (long) n * dwe.length();
        }
        return macs;
    }

    private static INDArray rows(INDArray m, int from, int n) {
        return Views.rows(m, from, n);
    }

    private static int maxRows(int[] offsets) {
        int r = 0;
        for (int e = 0; e + 1 < offsets.length; e++) {
            r = Math.max(r, offsets[e + 1] - offsets[e]);
        }
        return r;
    }

    /** Row of each sorted position in the padded layout: expert e's i-th row goes to e r + i. */
    private static int[] paddedRows(int[] offsets, int r) {
        int[] out = new int[offsets[offsets.length - 1]];
        for (int e = 0; e + 1 < offsets.length; e++) {
            for (int p = offsets[e]; p < offsets[e + 1]; p++) {
                out[p] = e * r + (p - offsets[e]);
            }
        }
        return out;
    }

    /** The rows of m [S, c] in a zero-padded [E, r, c] layout. */
    private static INDArray pad(INDArray m, int[] padded, int experts, int r) {
        INDArray out = Nd4j.zeros(m.dataType(), experts, r, m.size(1));
        RowGather.copyRows(m, iota(padded.length), out.reshape((long) experts * r, m.size(1)), padded);
        return out;
    }

    private static int[] iota(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
