package dev.ponder.core.tensor;

import java.util.List;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * gemm straight into CBLAS (the OpenBLAS that nd4j-native itself links) on the host buffers of
 * ND4J arrays, for the CPU backend.
 *
 * <p>Why: an ND4J {@code Mmul} op costs about 0.15 ms per call before any arithmetic (op object,
 * shape checks, the native op dispatch). The MoE families run thousands of small gemms per step
 * (moeut-tiny: 3072 expert gemms of [~512, 256] x [256, 64] and the like); measured on the 2-core
 * build machine, 64 such gemms took 24-29 ms through Mmul (37-49 GFLOP/s, OpenBLAS's own threading
 * does not help at these sizes) and 15.5 ms straight into cblas_sgemm on one thread (69 GFLOP/s);
 * split over two Java threads with OpenBLAS at one thread each, 7.8-8.7 ms (124-137 GFLOP/s). A large
 * gemm ([4096, 256] x [256, 8192]) runs at the same rate either way (181-184 GFLOP/s).
 *
 * <p>A {@link Mat} names a row-major block of an array's buffer (element offset, rows, columns,
 * leading dimension), so callers address sub-blocks (one expert's rows, one expert's weights)
 * without creating ND4J views. Other backends (CUDA) and data types return false from
 * {@link #available(INDArray)} and callers keep their ND4J path.
 */
public final class HostGemm {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    static {
        pinBlasToOneThread();   // before the first host gemm, whoever sets the task's threads
    }

    private HostGemm() {}

    /**
     * A row-major [rows, cols] block of {@code base}'s elements starting {@code offset} elements past
     * base's first element, rows {@code ld} apart.
     */
    public record Mat(INDArray base, long offset, int rows, int cols, int ld) {
        public Mat {
            if (rows < 0 || cols < 0 || (rows > 1 && ld < cols)) {
                throw new IllegalArgumentException("gemm block: expected rows, cols >= 0 and ld >= cols, found ["
                        + rows + ", " + cols + "] ld " + ld);
            }
        }

        /** The block of columns [from, from + n) of every row (same ld). */
        public Mat cols(int from, int n) {
            if (from < 0 || n < 0 || from + n > cols) {
                throw new IllegalArgumentException("gemm block: columns [" + from + ", " + (from + n) + ") outside "
                        + cols);
            }
            return new Mat(base, offset + from, rows, n, ld);
        }

        /** The block of rows [from, from + n). */
        public Mat rows(int from, int n) {
            return new Mat(base, offset + (long) from * ld, n, cols, ld);
        }

    }

    /** Whether the direct path serves this array: CPU backend, FLOAT or DOUBLE. */
    public static boolean available(INDArray a) {
        DataType t = a.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && Nd4j.getEnvironment().isCPU();
    }

    /** {@link #rowMajor} of an array the direct path serves ({@link #available}), else null. */
    public static Mat hostMatrix(INDArray a) {
        return available(a) ? rowMajor(a) : null;
    }

    /**
     * The whole of a 2-D array as a row-major block, or null when its layout is not one (a
     * column-major or strided array): rows must be unit-stride.
     */
    public static Mat rowMajor(INDArray a) {
        if (a.rank() != 2 || a.isEmpty()) {
            return null;
        }
        long rows = a.size(0);
        long cols = a.size(1);
        long s0 = a.stride(0);
        long s1 = a.stride(1);
        if (cols > 1 && s1 != 1) {
            return null;
        }
        long ld = rows == 1 ? Math.max(cols, 1) : s0;
        if (ld < cols || ld > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) {
            return null;
        }
        return new Mat(a, 0, (int) rows, (int) cols, (int) ld);
    }

    /**
     * {@code c = alpha op(a) op(b) + beta c} on whole 2-D arrays when the direct path serves them:
     * row-major c, and a and b each row-major or column-major (a column-major [r, k] array is a
     * row-major [k, r] one read transposed). Returns false, doing nothing, otherwise.
     */
    public static boolean tryGemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB,
                                  double alpha, double beta) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || !available(c)
                || a.dataType() != c.dataType() || b.dataType() != c.dataType()) {
            return false;
        }
        Mat mc = rowMajor(c);
        Mat ma = rowMajor(a);
        Mat mb = rowMajor(b);
        boolean ta = transA;
        boolean tb = transB;
        if (ma == null) {
            ma = rowMajor(a.transpose());
            ta = !ta;
        }
        if (mb == null) {
            mb = rowMajor(b.transpose());
            tb = !tb;
        }
        if (ma == null || mb == null || mc == null) {
            return false;
        }
        gemmThreaded(ma, ta, mb, tb, mc, alpha, beta);
        return true;
    }

    /**
     * Batched {@code c[i] = alpha op(a[i]) op(b[i]) + beta c[i]} over rank-3 arrays whose matrices
     * are row-major (views such as a block of rows of every head included), one CBLAS call per
     * matrix, the matrices split over the compute threads ({@link #inParallel}). Returns false,
     * doing nothing, when the layout or backend does not serve.
     *
     * <p>Why: ND4J's batched matmul ran attention's [64, 128, 64] x [64, 64, 256] at 50-56 GFLOP/s
     * where a loop of CBLAS calls on one thread ran 73-76 (2-core build machine, loaded); split
     * over two threads the loop scales with the cores, as the expert gemms do.
     */
    public static boolean tryBatched(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB,
                                     double alpha, double beta) {
        if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3 || !available(c)
                || a.dataType() != c.dataType() || b.dataType() != c.dataType()) {
            return false;
        }
        int n = (int) c.size(0);
        if (a.size(0) != n || b.size(0) != n || matrixOf(a, 0) == null || matrixOf(b, 0) == null
                || matrixOf(c, 0) == null) {
            return false;
        }
        long work = c.length() * (transA ? a.size(1) : a.size(2));
        HostParallel.forChunks(n, Math.min(n, groupsFor(work)), (g, from, to) -> {
            for (int i = from; i < to; i++) {
                gemm(matrixOf(a, i), transA, matrixOf(b, i), transB, matrixOf(c, i), alpha, beta);
            }
        });
        return true;
    }

    /**
     * Groups to split a run of gemms of {@code macs} multiply-adds into: 1 (the calling thread)
     * below {@value #PARALLEL_MACS}, else {@value #GROUPS_PER_THREAD} per compute thread, so that
     * on a shared machine a descheduled thread's groups are taken by the others (the fork-join pool
     * steals) instead of the run waiting for it.
     */
    public static int groupsFor(long macs) {
        int threads = HostParallel.threads();
        return macs < PARALLEL_MACS || threads <= 1 ? 1 : GROUPS_PER_THREAD * threads;
    }

    static final int GROUPS_PER_THREAD = 4;

    /** Below this many multiply-adds a run of gemms stays on the calling thread. */
    static final long PARALLEL_MACS = 1L << 20;

    /**
     * Runs {@code group} for 0 .. groups - 1, in parallel when groups > 1. OpenBLAS stays at one
     * thread ({@link #pinBlasToOneThread}): each group's gemms run on the group's thread.
     */
    public static void inParallel(int groups, java.util.function.IntConsumer group) {
        if (groups <= 1) {
            if (groups == 1) {
                group.accept(0);
            }
            return;
        }
        java.util.stream.IntStream.range(0, groups).parallel().forEach(group);
    }

    /**
     * One gemm {@code c = alpha op(a) op(b) + beta c}, as a value, for the schedules that run several
     * ({@link #sequence}, {@link #inTwoLanes}).
     */
    public record Call(Mat a, boolean transA, Mat b, boolean transB, Mat c, double alpha, double beta) {
        /** Multiply-adds. */
        public long macs() {
            return (long) c.rows() * c.cols() * (transA ? a.rows() : a.cols());
        }

        void run() {
            gemm(a, transA, b, transB, c, alpha, beta);
        }

        /** The part computing rows [from, from + n) of c: rows of op(a) (rows of a, or columns of a stored transposed). */
        Call rowPart(int from, int n) {
            return new Call(transA ? a.cols(from, n) : a.rows(from, n), transA, b, transB, c.rows(from, n), alpha, beta);
        }

        /** The part computing columns [from, from + n) of c: columns of op(b). */
        Call colPart(int from, int n) {
            return new Call(a, transA, transB ? b.rows(from, n) : b.cols(from, n), transB, c.cols(from, n), alpha, beta);
        }
    }

    /**
     * One gemm split over the compute threads when it is large enough ({@value #SPLIT_MACS}
     * multiply-adds): by rows of c (or, for short c, by columns), one CBLAS call per part, each part
     * on one thread, so results do not depend on scheduling. Smaller gemms run as one call on the
     * calling thread. Top-level callers use this; code already inside a parallel group calls
     * {@link #gemm} directly.
     */
    public static void gemmThreaded(Mat a, boolean transA, Mat b, boolean transB, Mat c, double alpha, double beta) {
        sequence(List.of(new Call(a, transA, b, transB, c, alpha, beta)));
    }

    /** {@link #gemmThreaded} in {@code threads} parts (1: one call). */
    static void gemmSplit(Mat a, boolean transA, Mat b, boolean transB, Mat c, double alpha, double beta,
                          int threads) {
        split(List.of(new Call(a, transA, b, transB, c, alpha, beta)), threads);
    }

    /**
     * Gemms run in order (a later one may accumulate into an earlier one's c), split over the
     * compute threads when together they reach {@value #SPLIT_MACS} multiply-adds. Calls whose c
     * have the same number of rows split together: each thread runs every call on its rows, in
     * order (a narrow attention's three q/k/v segment gemms, [N, 64] x [64, 64] each, become two
     * threads of three half-height gemms); others split one by one.
     */
    public static void sequence(List<Call> calls) {
        split(calls, macs(calls) < SPLIT_MACS ? 1 : HostParallel.threads());
    }

    /** Multiply-adds of a run of calls. */
    public static long macs(List<Call> calls) {
        long macs = 0;
        for (Call c : calls) {
            macs += c.macs();
        }
        return macs;
    }

    /**
     * Two independent runs of gemms (no call of one reads or writes a c of the other), each run in
     * order: at the same time on two threads when the task has two and both runs reach {@value
     * #PAIR_MACS} multiply-adds, else one after the other, each {@link #sequence}d. Each call is
     * still one CBLAS call per part, so results do not depend on the schedule.
     *
     * <p>Why: a layer's backward computes dx = dy W and dW += dy^T x from the same dy; measured on
     * the 2-core build machine at a SHARCS width-0.25 FFN's shape ([2048, 256] dy, [256, 64] W) the
     * two took 1.52 ms one after the other with each split in two, 0.90 ms side by side.
     */
    public static void inTwoLanes(List<Call> first, List<Call> second) {
        long a = macs(first);
        long b = macs(second);
        int threads = HostParallel.threads();
        if (threads < 2 || Math.min(a, b) < PAIR_MACS) {
            sequence(first);
            sequence(second);
            return;
        }
        HostParallel.forChunks(2, 2, (lane, from, to) -> split(lane == 0 ? first : second,
                (lane == 0 ? a : b) < SPLIT_MACS ? 1 : Math.max(1, threads / 2)));
    }

    /** Runs the calls in order in {@code parts} parts each (1: as they are). */
    static void split(List<Call> calls, int parts) {
        if (parts <= 1 || calls.isEmpty()) {
            calls.forEach(Call::run);
            return;
        }
        int rows = calls.get(0).c().rows();
        boolean together = calls.size() > 1 && rows >= MIN_SPLIT_ROWS * parts
                && calls.stream().allMatch(c -> c.c().rows() == rows);
        if (together) {
            HostParallel.forChunks(rows, parts, (p, from, to) -> calls.forEach(c -> c.rowPart(from, to - from).run()));
            return;
        }
        for (Call call : calls) {
            Mat c = call.c();
            boolean byRows = c.rows() >= Math.min(MIN_SPLIT_ROWS, c.cols()) * parts;
            HostParallel.forChunks(byRows ? c.rows() : c.cols(), parts, (p, from, to) ->
                    (byRows ? call.rowPart(from, to - from) : call.colPart(from, to - from)).run());
        }
    }

    /**
     * Above this many multiply-adds gemms are split over the threads. Measured on the 2-core build
     * machine with OpenBLAS at one thread: [2048, 256] x [256, 1024] 10.2 ms on one thread, 6.4 ms
     * split in two (OpenBLAS's own two threads: 5.9 ms, but its pool then spins beside ours);
     * [2048, 64] x [64, 256] (2^25) 0.70 -> 0.51 ms (medians of 300); [2048, 64] x [64, 64] (2^23)
     * 0.17 ms either way (waking a worker and the halves' fixed costs eat the gain).
     */
    static final long SPLIT_MACS = 1L << 24;

    /**
     * Below this many multiply-adds in either run {@link #inTwoLanes} runs them one after the
     * other: [2048, 64] dy with a [64, 64] W (2^23 each) took 0.56 ms in turn, 0.52 ms side by side.
     */
    static final long PAIR_MACS = 1L << 23;

    /** Rows per part below which a split goes by columns instead. */
    static final int MIN_SPLIT_ROWS = 64;

    /**
     * Sets OpenBLAS to one thread (CPU backend). The host kernels
     * split work over the task's threads themselves (expert groups, attention matrices, large gemms
     * by rows); OpenBLAS's own pool would compete with them, its worker spins after each call, and
     * changing its thread count per call cost 0.4-1.5 ms each time on the build machine.
     */
    public static void pinBlasToOneThread() {
        if (Nd4j.getEnvironment().isCPU() && blasThreads() != 1) {
            setBlasThreads(1);
        }
    }

    /** Matrix {@code e} of a row-major [E, a, b] array as a block, or null when its layout is not one. */
    public static Mat matrixOf(INDArray w, long e) {
        if (w.rank() != 3 || w.isEmpty() || (w.size(2) > 1 && w.stride(2) != 1)) {
            return null;
        }
        long a = w.size(1);
        long b = w.size(2);
        long ld = a == 1 ? Math.max(b, 1) : w.stride(1);
        if (ld < b) {
            return null;
        }
        return new Mat(w, e * w.stride(0), (int) a, (int) b, (int) ld);
    }

    /**
     * {@code c = alpha op(a) op(b) + beta c}. Shapes are checked here, not by CBLAS (which would
     * print to stderr and skip the call).
     */
    public static void gemm(Mat a, boolean transA, Mat b, boolean transB, Mat c, double alpha, double beta) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: op(a) [" + m + ", " + k + "] x op(b) [" + kb + ", " + n
                    + "] into c [" + c.rows() + ", " + c.cols() + "]");
        }
        if (m == 0 || n == 0) {
            return;
        }
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        int lda = Math.max(a.ld(), 1);
        int ldb = Math.max(b.ld(), 1);
        int ldc = Math.max(c.ld(), 1);
        DataType t = c.base().dataType();
        if (a.base().dataType() != t || b.base().dataType() != t) {
            throw new IllegalArgumentException("gemm: expected one data type, found " + a.base().dataType() + ", "
                    + b.base().dataType() + ", " + c.base().dataType());
        }
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, (float) alpha, floats(a), lda, floats(b), ldb,
                    (float) beta, floats(c), ldc);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, ta, tb, m, n, k, alpha, doubles(a), lda, doubles(b), ldb,
                    beta, doubles(c), ldc);
        } else {
            throw new IllegalArgumentException("gemm: expected FLOAT or DOUBLE, found " + t);
        }
    }

    /**
     * The host address of base's buffer and the element position of the block in it. A view's data
     * buffer is itself a view whose address already includes {@code data().offset()} (measured on
     * M2.1: the rows [5, 10) of a [20, 8] array have offset() 40 and an address 160 bytes past the
     * parent's), so only the array's offset beyond its buffer's is added.
     */
    private static Pointer address(Mat m) {
        Pointer p = m.base().data().addressPointer();
        if (p == null || p.isNull()) {
            throw new IllegalStateException("gemm: array has no host buffer");
        }
        return p;
    }

    private static long position(Mat m) {
        return HostRows.firstElement(m.base()) + m.offset();
    }

    private static FloatPointer floats(Mat m) {
        return new FloatPointer(address(m)).position(position(m));
    }

    private static DoublePointer doubles(Mat m) {
        return new DoublePointer(address(m)).position(position(m));
    }

    /** OpenBLAS's thread count (set per task by ComputeThreads through ND4J). */
    public static int blasThreads() {
        return Nd4j.factory().blas().getMaxThreads();
    }

    /** Sets OpenBLAS's thread count. */
    public static void setBlasThreads(int threads) {
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
