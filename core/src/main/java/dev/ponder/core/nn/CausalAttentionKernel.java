package dev.ponder.core.nn;

import dev.ponder.core.tensor.HostGemm;
import dev.ponder.core.tensor.HostGemm.Mat;
import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.HostVectors;
import java.nio.ByteBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The causal attention core on host memory (FLOAT, CPU), one (batch, head) matrix at a time: the
 * fast path of {@link CausalSoftmaxAttention}, whose whole-array ND4J path stays as the reference
 * (double precision, other backends) and is cross-checked against this one by a test.
 *
 * <p>Per matrix and query block [r0, r1) (keys [0, r1), the same causal blocking and the same saved
 * probabilities as the reference): S = scale Q K^T by CBLAS into the block, the causal softmax of
 * each row over its own prefix only (row i: keys 0..i; the rest of the block is set to 0) on SIMD
 * lanes, O = P V. Backward per block: dP = dO V^T into a per-thread scratch block, dV (+)= P^T dO,
 * dS = P * (dP - D) with D_i = dO_i . O_i, dQ = scale dS K, dK (+)= scale dS^T Q.
 *
 * <p>Why: the reference runs the mask, the softmax and the softmax backward as whole-array ND4J
 * ops over every block of every head (about 12 passes over the probabilities per layer, and the
 * masked half of each diagonal block exponentiated); a SHARCS step at width 0.25 spent 32% of its
 * time there. Here one matrix's block stays in cache from its gemm through its softmax, only the
 * causal prefix of each row is touched, and the matrices are split over the task's threads with
 * OpenBLAS at one thread (each matrix on exactly one thread: results do not depend on scheduling).
 */
final class CausalAttentionKernel {
    private CausalAttentionKernel() {}

    /** Whether the kernel serves these [BH, T, dh] arrays (FLOAT, CPU, c-contiguous). */
    static boolean serves(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.rank() != 3 || !HostRows.contiguous(a)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the BH = B * heads matrices [T, dh] of one operand live in a row-major FLOAT host array
     * {@code base} (rows ld apart): matrix i = b * heads + h is rows [b T, (b + 1) T) and columns
     * [col + h dh, col + (h + 1) dh). A contiguous [BH, T, dh] stack is heads 1, col 0, ld dh; the
     * heads of a fused projection [B*T, 3 H dh] are read in place (q at col 0, k at H dh, v at 2 H dh).
     */
    record Heads(INDArray base, int col, int ld, int heads, int t, int dh) {
        /** A contiguous [BH, T, dh] stack. */
        static Heads stack(INDArray a) {
            return new Heads(a, 0, (int) a.size(2), 1, (int) a.size(1), (int) a.size(2));
        }

        /** Element offset of row {@code row} of matrix i, from base's first element. */
        long at(int i, int row) {
            return ((long) (i / heads) * t + row) * ld + col + (long) (i % heads) * dh;
        }

        /** Rows [r0, r0 + n) of matrix i as a gemm block. */
        Mat rows(int i, int r0, int n) {
            return new Mat(base, at(i, r0), n, dh, ld);
        }

        /** The number of matrices, B * heads. */
        int matrices() {
            return (int) (base.length() / ((long) ld * t)) * heads;
        }

        /** base's memory as bytes (element e at byte 4 e), rows of the whole array. */
        ByteBuffer bytes() {
            return HostRows.flat(base, (int) (base.length() / ld), ld).bytes();
        }
    }

    /** q, k, v [BH, T, dh]; writes p[r] [BH, rows_r, r1] and o [BH, T, dh]. */
    static void forward(INDArray q, INDArray k, INDArray v, INDArray[] p, INDArray o, double scale, int blockRows) {
        forward(Heads.stack(q), Heads.stack(k), Heads.stack(v), p, Heads.stack(o), scale, blockRows);
    }

    /** The same on matrices laid out as {@link Heads} (bh = q's B * heads). */
    static void forward(Heads q, Heads k, Heads v, INDArray[] p, Heads o, double scale, int blockRows) {
        int t = q.t();
        int bh = q.matrices();
        Mat[] pm = new Mat[p.length];
        ByteBuffer[] pb = new ByteBuffer[p.length];
        probabilityBlocks(p, bh, t, blockRows, pm, pb);
        HostParallel.forChunks(bh, groups(bh, macs(bh, t, q.dh(), 2)), (g, from, to) -> {
            for (int i = from; i < to; i++) {
                for (int r = 0; r < p.length; r++) {
                    int r0 = r * blockRows;
                    int r1 = Math.min(t, r0 + blockRows);
                    int n = r1 - r0;
                    Mat pi = pm[r].rows(i * n, n);                         // [rows, r1]
                    // [rows, dh] x [dh, r1] -> [rows, r1]
                    HostGemm.gemm(q.rows(i, r0, n), false, k.rows(i, 0, r1), true, pi, scale, 0.0);
                    for (int row = 0; row < n; row++) {
                        int off = (i * n + row) * r1;
                        int len = r0 + row + 1;                            // keys 0 .. r0 + row
                        float max = HostVectors.max(pb[r], off, len);
                        double sum = HostVectors.expShifted(pb[r], off, len, max);
                        HostVectors.scale(pb[r], off, len, (float) (1.0 / sum));
                        HostVectors.zero(pb[r], off + len, r1 - len);
                    }
                    // [rows, r1] x [r1, dh] -> [rows, dh]
                    HostGemm.gemm(pi, false, v.rows(i, 0, r1), false, o.rows(i, r0, n), 1.0, 0.0);
                }
            }
        });
    }

    /**
     * dO [BH, T, dh] -> dq, dk, dv [BH, T, dh]. Blocks run last to first: the last spans all keys
     * and initialises dk and dv (beta 0), earlier ones accumulate into their leading rows.
     */
    static void backward(CausalSoftmaxAttention.Saved s, INDArray dO, INDArray dq, INDArray dk, INDArray dv,
                         int blockRows) {
        backward(Heads.stack(s.q()), Heads.stack(s.k()), Heads.stack(s.v()), s.p(), Heads.stack(s.o()), s.scale(),
                Heads.stack(dO), Heads.stack(dq), Heads.stack(dk), Heads.stack(dv), blockRows);
    }

    /** The same on matrices laid out as {@link Heads}; p and o from the forward. */
    static void backward(Heads q, Heads k, Heads v, INDArray[] p, Heads o, double scale, Heads dO, Heads dq,
                         Heads dk, Heads dv, int blockRows) {
        int t = q.t();
        int dh = q.dh();
        int bh = q.matrices();
        ByteBuffer ob = o.bytes();
        ByteBuffer gb = dO.bytes();
        Mat[] pm = new Mat[p.length];
        ByteBuffer[] pb = new ByteBuffer[p.length];
        probabilityBlocks(p, bh, t, blockRows, pm, pb);
        int groups = groups(bh, macs(bh, t, dh, 4));
        int rowsMax = Math.min(t, blockRows);
        // one dS scratch block [rowsMax, T] per group; a group's matrices run in turn on one thread
        INDArray scratch = Nd4j.createUninitialized(p[0].dataType(), (long) groups * rowsMax, t);
        Mat sm = HostGemm.rowMajor(scratch);
        ByteBuffer sb = HostRows.of(scratch).bytes();
        HostParallel.forChunks(bh, groups, (g, from, to) -> {
            float[] rowDot = new float[t];
            for (int i = from; i < to; i++) {
                for (int row = 0; row < t; row++) {
                    // D_i = dO_i . O_i
                    rowDot[row] = (float) HostVectors.dot(gb, (int) dO.at(i, row), ob, (int) o.at(i, row), dh);
                }
                for (int r = p.length - 1; r >= 0; r--) {
                    int r0 = r * blockRows;
                    int r1 = Math.min(t, r0 + blockRows);
                    int n = r1 - r0;
                    double beta = r == p.length - 1 ? 0.0 : 1.0;
                    Mat pi = pm[r].rows(i * n, n);                         // [rows, r1]
                    Mat gi = dO.rows(i, r0, n);                            // [rows, dh]
                    Mat ds = sm.rows(g * rowsMax, n).cols(0, r1);              // [rows, r1], ld T
                    // dP: [rows, dh] x [dh, r1] -> [rows, r1]
                    HostGemm.gemm(gi, false, v.rows(i, 0, r1), true, ds, 1.0, 0.0);
                    // dV: [r1, rows] x [rows, dh] -> [r1, dh]
                    HostGemm.gemm(pi, true, gi, false, dv.rows(i, 0, r1), 1.0, beta);
                    for (int row = 0; row < n; row++) {
                        int len = r0 + row + 1;
                        int dsOff = (g * rowsMax + row) * t;
                        HostVectors.softmaxGrad(pb[r], (i * n + row) * r1, sb, dsOff, len, rowDot[r0 + row]);
                        HostVectors.zero(sb, dsOff + len, r1 - len);
                    }
                    // dQ: [rows, r1] x [r1, dh] -> [rows, dh]
                    HostGemm.gemm(ds, false, k.rows(i, 0, r1), false, dq.rows(i, r0, n), scale, 0.0);
                    // dK: [r1, rows] x [rows, dh] -> [r1, dh]
                    HostGemm.gemm(ds, true, q.rows(i, r0, n), false, dk.rows(i, 0, r1), scale, beta);
                }
            }
        });
    }

    /** Block r of the probabilities p[r] [BH, rows_r, r1] as one gemm block [BH rows_r, r1] and as bytes. */
    private static void probabilityBlocks(INDArray[] p, int bh, int t, int blockRows, Mat[] pm, ByteBuffer[] pb) {
        for (int r = 0; r < p.length; r++) {
            int r1 = Math.min(t, (r + 1) * blockRows);
            int n = r1 - r * blockRows;
            pm[r] = new Mat(p[r], 0, bh * n, r1, r1);
            pb[r] = HostRows.flat(p[r], bh * n, r1).bytes();
        }
    }

    /** Multiply-adds of {@code gemms} [T, dh] x [dh, T]-sized products over BH matrices. */
    private static long macs(int bh, int t, int dh, int gemms) {
        return (long) bh * t * t * dh * gemms;
    }

    private static int groups(int bh, long macs) {
        return Math.min(bh, HostGemm.groupsFor(macs));
    }
}
