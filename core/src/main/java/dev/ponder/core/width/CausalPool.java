package dev.ponder.core.width;

import dev.ponder.core.tensor.Ops;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The router's input: hidden states averaged so that no position sees a later token.
 * <ul>
 *   <li>{@link Mode#PREFIX}: one row per sample, the mean over its first P' = min(P, T) positions.
 *       The width is then a function of those P' tokens only; the model predicts the first P'
 *       positions at full width (see SharcsLm), so no prediction depends on a later token.</li>
 *   <li>{@link Mode#TOKEN}: one row per position t, the mean over positions 0..t (a causal
 *       running mean), so every token gets its own causal width decision.</li>
 * </ul>
 * Both are out_b = A h_b with an averaging matrix A [R, T] (R = 1 or T), computed for the whole
 * batch as one gemm on h permuted to [T, B*d].
 */
public final class CausalPool {
    /** How the router's input is pooled. */
    public enum Mode {
        PREFIX, TOKEN;

        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model.sharcs_router_pool: expected prefix or token, found '" + s + "'");
            }
        }
    }

    private CausalPool() {}

    /** The averaging matrix and the batch geometry, for backward. */
    public record Saved(INDArray a, int batch, int seqLen, int dim) {}

    /** Rows the pooled output has per sample: 1 (prefix) or T (token). */
    public static int rowsPerSample(Mode mode, int seqLen) {
        return mode == Mode.PREFIX ? 1 : seqLen;
    }

    /** h [B*T, d] -> pooled [B*R, d] (R = 1 for prefix, T for token). */
    public static Pooled forward(Mode mode, int prefix, INDArray h, int b, int t) {
        int d = (int) h.size(1);
        INDArray a = averaging(mode, prefix, t, h.dataType());               // [R, T]
        int r = (int) a.size(0);
        INDArray ht = Nd4j.createUninitialized(h.dataType(), t, b, d);
        Ops.permuteInto(h.reshape(b, t, d), ht, 1, 0, 2);                   // [B, T, d] -> [T, B, d]
        INDArray pooled = Ops.mm(a, ht.reshape(t, (long) b * d), false, false); // [R, T] x [T, B*d] -> [R, B*d]
        INDArray out = Nd4j.createUninitialized(h.dataType(), b, r, d);
        Ops.permuteInto(pooled.reshape(r, b, d), out, 1, 0, 2);             // [R, B, d] -> [B, R, d]
        return new Pooled(out.reshape((long) b * r, d), new Saved(a, b, t, d));
    }

    /** The pooled rows and what backward needs. */
    public record Pooled(INDArray out, Saved saved) {}

    /** dPooled [B*R, d] -> dh [B*T, d]. */
    public static INDArray backward(Saved s, INDArray dPooled) {
        int r = (int) s.a().size(0);
        int b = s.batch();
        int d = s.dim();
        INDArray dp = Nd4j.createUninitialized(dPooled.dataType(), r, b, d);
        Ops.permuteInto(dPooled.reshape(b, r, d), dp, 1, 0, 2);             // [B, R, d] -> [R, B, d]
        // [T, R] x [R, B*d] -> [T, B*d]
        INDArray dht = Ops.mm(s.a(), dp.reshape(r, (long) b * d), true, false);
        INDArray dh = Nd4j.createUninitialized(dPooled.dataType(), b, s.seqLen(), d);
        Ops.permuteInto(dht.reshape(s.seqLen(), b, d), dh, 1, 0, 2);        // [T, B, d] -> [B, T, d]
        return dh.reshape((long) b * s.seqLen(), d);
    }

    /** A [R, T]: prefix: one row of 1/P' over the first P' columns; token: row t = 1/(t+1) on 0..t. */
    static INDArray averaging(Mode mode, int prefix, int t, DataType dtype) {
        if (mode == Mode.PREFIX) {
            int p = Math.min(prefix, t);
            double[] row = new double[t];
            for (int s = 0; s < p; s++) {
                row[s] = 1.0 / p;
            }
            return Nd4j.createFromArray(new double[][] {row}).castTo(dtype);
        }
        double[][] a = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int s = 0; s <= i; s++) {
                a[i][s] = 1.0 / (i + 1);
            }
        }
        return Nd4j.createFromArray(a).castTo(dtype);
    }
}
