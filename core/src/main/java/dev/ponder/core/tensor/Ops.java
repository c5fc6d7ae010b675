package dev.ponder.core.tensor;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The handful of ND4J calls the hot paths are built from, each chosen by measurement (2 cores,
 * nd4j-native M2.1):
 * <ul>
 *   <li>2-D gemm straight into CBLAS on the CPU backend ({@link HostGemm}: the Mmul op's ~0.15 ms
 *       per call dominated small gemms), otherwise through the {@link Mmul} op with transpose flags
 *       and an explicit output: INDArray.mmul was 2x slower (it allocates and copies); a transposed
 *       operand is never materialised.</li>
 *   <li>batched matmul on rank-3 arrays for attention (one op for all B*H heads: ~80 GFLOP/s at
 *       [64, 256, 64] shapes, while a Java loop of 2-D gemms reached 15-26 GFLOP/s).</li>
 *   <li>permutes as {@code dst.assign(src.permute(..))} into a preallocated array (0.6 ms per 1M
 *       floats; {@code permute().dup()} allocated and took 12+ ms).</li>
 *   <li>scatter_add with locking for row scatter: without the lock duplicate indices race and lose
 *       updates (measured: 12 of 5.2M updates lost).</li>
 * </ul>
 */
public final class Ops {
    /**
     * Measurement hook: while a probe is installed on a thread, every matmul on that thread adds its
     * wall time and multiply-adds. Thread-confined and off (null) unless a benchmark installs one.
     */
    public static final class MatmulProbe {
        private long calls;
        private long nanos;
        private double macs;

        public long calls() {
            return calls;
        }

        public long nanos() {
            return nanos;
        }

        public double macs() {
            return macs;
        }
    }

    private static final ThreadLocal<MatmulProbe> PROBE = new ThreadLocal<>();

    private Ops() {}

    /** The probe installed on this thread, or null. */
    public static MatmulProbe matmulProbe() {
        return PROBE.get();
    }

    /** Adds matmuls run outside {@link #gemm} (ExpertMatmul's direct CBLAS loop) to a probe. */
    public static void recordMatmuls(MatmulProbe probe, long calls, long nanos, double macs) {
        probe.calls += calls;
        probe.nanos += nanos;
        probe.macs += macs;
    }

    /** Installs {@code probe} on this thread (null removes it). */
    public static void setMatmulProbe(MatmulProbe probe) {
        if (probe == null) {
            PROBE.remove();
        } else {
            PROBE.set(probe);
        }
    }

    /** {@code c = alpha * op(a) op(b) + beta * c} for 2-D or rank-3 (batched) arrays; c contiguous. */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB,
                                double alpha, double beta) {
        MatmulProbe probe = PROBE.get();
        long t0 = probe == null ? 0 : System.nanoTime();
        if (!HostGemm.tryGemm(a, b, c, transA, transB, alpha, beta)
                && !HostGemm.tryBatched(a, b, c, transA, transB, alpha, beta)) {
            Nd4j.exec(new Mmul(a, b, c, alpha, beta,
                    MMulTranspose.builder().transposeA(transA).transposeB(transB).build()));
        }
        if (probe != null) {
            probe.nanos += System.nanoTime() - t0;
            probe.calls++;
            int r = a.rank();
            probe.macs += (double) c.length() * (transA ? a.size(r - 2) : a.size(r - 1));
        }
        return c;
    }

    /**
     * {@code c = alpha op(a) op(b) + beta c} on host blocks ({@link HostGemm}, CPU backend), counted
     * by this thread's probe like {@link #gemm(INDArray, INDArray, INDArray, boolean, boolean, double, double)}.
     */
    public static void gemm(HostGemm.Mat a, boolean transA, HostGemm.Mat b, boolean transB, HostGemm.Mat c,
                            double alpha, double beta) {
        MatmulProbe probe = PROBE.get();
        long t0 = probe == null ? 0 : System.nanoTime();
        HostGemm.gemmThreaded(a, transA, b, transB, c, alpha, beta);
        if (probe != null) {
            recordMatmuls(probe, 1, System.nanoTime() - t0, (double) c.rows() * c.cols() * (transA ? a.rows() : a.cols()));
        }
    }

    /** Host gemms in order ({@link HostGemm#sequence}), counted by this thread's probe. */
    public static void gemms(java.util.List<HostGemm.Call> calls) {
        MatmulProbe probe = PROBE.get();
        long t0 = probe == null ? 0 : System.nanoTime();
        HostGemm.sequence(calls);
        record(probe, t0, calls, java.util.List.of());
    }

    /** Two independent runs of host gemms ({@link HostGemm#inTwoLanes}), counted by this thread's probe. */
    public static void gemmsInTwoLanes(java.util.List<HostGemm.Call> first, java.util.List<HostGemm.Call> second) {
        MatmulProbe probe = PROBE.get();
        long t0 = probe == null ? 0 : System.nanoTime();
        HostGemm.inTwoLanes(first, second);
        record(probe, t0, first, second);
    }

    private static void record(MatmulProbe probe, long t0, java.util.List<HostGemm.Call> first,
                               java.util.List<HostGemm.Call> second) {
        if (probe == null) {
            return;
        }
        recordMatmuls(probe, first.size() + second.size(), System.nanoTime() - t0,
                (double) HostGemm.macs(first) + HostGemm.macs(second));
    }

    /** A new {@code op(a) op(b)} (2-D or batched rank-3), in a's data type. */
    public static INDArray mm(INDArray a, INDArray b, boolean transA, boolean transB) {
        return mm(a, b, transA, transB, 1.0);
    }

    /** A new {@code alpha * op(a) op(b)} (2-D or batched rank-3), in a's data type. */
    public static INDArray mm(INDArray a, INDArray b, boolean transA, boolean transB, double alpha) {
        int r = a.rank();
        long m = transA ? a.size(r - 1) : a.size(r - 2);
        long n = transB ? b.size(r - 2) : b.size(r - 1);
        INDArray c = r == 2
                ? Nd4j.createUninitialized(a.dataType(), m, n)
                : Nd4j.createUninitialized(a.dataType(), a.size(0), m, n);
        return gemm(a, b, c, transA, transB, alpha, 0.0);
    }

    /** Rows {@code table[idx[i]]} as a new [len(idx), cols] array. */
    public static INDArray gatherRows(INDArray table, INDArray idx) {
        INDArray out = Nd4j.createUninitialized(table.dataType(), idx.length(), table.size(1));
        Nd4j.exec(DynamicCustomOp.builder("gather").addInputs(table, idx).addOutputs(out)
                .addIntegerArguments(0).build());
        return out;
    }

    /** Elements {@code flat[idx[i]]} of a rank-1 array as a new rank-1 array. */
    public static INDArray gatherFlat(INDArray flat, INDArray idx) {
        INDArray out = Nd4j.createUninitialized(flat.dataType(), idx.length());
        Nd4j.exec(DynamicCustomOp.builder("gather").addInputs(flat, idx).addOutputs(out)
                .addIntegerArguments(0).build());
        return out;
    }

    /**
     * {@code target[idx[i]] += updates[i]} along dimension 0, in place, correct for duplicate
     * indices (locked: rows are applied one after another).
     */
    public static void scatterAdd(INDArray target, INDArray idx, INDArray updates) {
        Nd4j.exec(DynamicCustomOp.builder("scatter_add").addInputs(target, idx, updates)
                .addOutputs(target).addBooleanArguments(true).build());
    }

    /**
     * {@code grad * (activated > 0)} written into grad (ReLU backward from its output). A step mask
     * and a multiply: ND4J's relu_bp op took 9.5 ms on 4M floats, these two 0.6 ms.
     */
    public static INDArray reluBackwardInPlace(INDArray activated, INDArray grad) {
        INDArray mask = Nd4j.createUninitialized(activated.dataType(), activated.shape());
        Nd4j.exec(new Step(activated, mask));                            // 1 where activated > 0
        return grad.muli(mask);
    }

    /**
     * {@code target += alpha * column sums of x} (x [N, c], target a contiguous [c]) as one gemm with
     * a ones row: INDArray.sum(0) took 2.5 ms on [4096, 256] and 31 ms on [4096, 1024], this 0.5 ms.
     */
    public static void addColumnSums(INDArray x, INDArray target, double alpha) {
        long n = x.size(0);
        INDArray ones = Nd4j.ones(x.dataType(), 1, n);
        gemm(ones, x, target.reshape(1, x.size(1)), false, false, alpha, 1.0); // [1, N] x [N, c] -> [1, c]
    }

    /** Row sums of squares of x [N, c] as [N, 1] (one reduction, no squared temporary). */
    public static INDArray rowSquaredNorms(INDArray x) {
        return Nd4j.exec(new SquaredNorm(x, true, 1)).reshape(x.size(0), 1);
    }

    /** Softmax over the last dimension, in place (numerically stable: ND4J subtracts the max). */
    public static INDArray softmaxLastDimInPlace(INDArray x) {
        Nd4j.exec(new SoftMax(x, x, -1));
        return x;
    }

    /** {@code dst = src.permute(perm)} copied into a preallocated c-order dst; returns dst. */
    public static INDArray permuteInto(INDArray src, INDArray dst, int... perm) {
        return dst.assign(src.permute(perm));
    }
}
