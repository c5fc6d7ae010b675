package dev.ponder.core.nn;

import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.NormRows;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * LayerNorm forward and backward as one pass per row over host memory (FLOAT, CPU backend), the
 * fast path of {@link LayerNorm}; its ND4J whole-array path stays as the reference (and serves
 * double precision and other backends), and a test cross-checks the two.
 *
 * <p>Why: the ND4J path is ~10 ops forward and ~12 backward, each a full pass with per-op cost and
 * row/column broadcasts that ND4J runs per row (TAD loops). The row passes run on SIMD lanes
 * ({@link NormRows}); the residual add before a norm and the backward's add into the residual
 * gradient ride along (a pre-LN layer's x += attn(...) then LN2(x), and dx += LN backward), saving
 * a pass and an array each. Rows are split over the task's threads; the weight/bias gradients are
 * summed per chunk, then merged in chunk order, so results do not depend on scheduling.
 */
final class LayerNormKernel {
    private LayerNormKernel() {}

    /**
     * y = xhat * w + b with xhat = (x - mean) * rstd per row; writes y, xhat [N, d] and rstd [N].
     * With a residual r [N, d] (else null) x += r first, in place, and the norm reads the sum.
     */
    static void forward(HostRows x, HostRows residual, FloatBuffer w, FloatBuffer b, double eps, HostRows y,
                        HostRows xhat, FloatBuffer rstd) {
        int n = x.rows();
        int d = x.cols();
        float[] wa = toArray(w, d);
        float[] ba = toArray(b, d);
        HostParallel.forRange(n, (long) n * d * 4, (from, to) -> {
            ByteBuffer xb = x.bytes();
            ByteBuffer rb = residual == null ? null : residual.bytes();
            for (int i = from; i < to; i++) {
                int xo = i * x.ld();
                double sum = NormRows.addAndSum(xb, xo, rb, residual == null ? 0 : i * residual.ld(), d);
                float mean = (float) (sum / d);
                double sq = NormRows.centredSquares(xb, xo, d, mean);
                float r = (float) (1.0 / Math.sqrt(sq / d + eps));
                rstd.put(i, r);
                NormRows.normalize(xb, xo, d, mean, r, wa, ba, y.bytes(), i * y.ld(), xhat.bytes(), i * xhat.ld());
            }
        });
    }

    /** x += r, row by row (the residual add no norm follows). */
    static void add(HostRows x, HostRows r) {
        int n = x.rows();
        int d = x.cols();
        HostParallel.forRange(n, (long) n * d, (from, to) -> {
            for (int i = from; i < to; i++) {
                NormRows.add(x.bytes(), i * x.ld(), r.bytes(), i * r.ld(), d);
            }
        });
    }

    /**
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w, per row (dx += that when
     * {@code accumulate}); dw += column sums of dy * xhat, db += column sums of dy.
     */
    static void backward(HostRows dy, HostRows xhat, FloatBuffer rstd, FloatBuffer w, HostRows dx, boolean accumulate,
                         FloatBuffer dw, FloatBuffer db) {
        int n = dy.rows();
        int d = dy.cols();
        float[] wa = toArray(w, d);
        int chunks = HostParallel.chunks(n, (long) n * d * 6);
        float[][] dwPart = new float[chunks][];
        float[][] dbPart = new float[chunks][];
        HostParallel.forChunks(n, chunks, (c, from, to) -> {
            // each chunk's partials allocated by its own thread (its own TLAB): allocated together
            // they shared cache lines, and the per-row updates made the 2-thread backward 2.7x slower
            // than one thread at [2048, 64]
            dwPart[c] = new float[d];
            dbPart[c] = new float[d];
            double[] sums = new double[2];
            for (int i = from; i < to; i++) {
                int go = i * dy.ld();
                int ho = i * xhat.ld();
                NormRows.gradSums(dy.bytes(), go, xhat.bytes(), ho, d, wa, dwPart[c], dbPart[c], sums);
                float meanG = (float) (sums[0] / d);
                float meanGh = (float) (sums[1] / d);
                NormRows.grad(dy.bytes(), go, xhat.bytes(), ho, d, wa, rstd.get(i), meanG, meanGh, dx.bytes(),
                        i * dx.ld(), accumulate);
            }
        });
        for (int c = 0; c < chunks; c++) {
            for (int j = 0; j < d; j++) {
                dw.put(j, dw.get(j) + dwPart[c][j]);
                db.put(j, db.get(j) + dbPart[c][j]);
            }
        }
    }

    private static float[] toArray(FloatBuffer v, int d) {
        float[] a = new float[d];
        v.get(0, a, 0, d);
        return a;
    }
}
