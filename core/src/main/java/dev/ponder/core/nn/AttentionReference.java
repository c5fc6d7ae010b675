package dev.ponder.core.nn;

/**
 * The slow, obvious version of {@link CausalAttention} (RoPE included), with explicit loops over
 * plain double arrays. It exists only to cross-check the batched fast path in tests; keep it
 * simple rather than fast.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /**
     * x [B*T][d] -> out [B*T][d] for causal multi-head attention with weights in PyTorch layout:
     * wq, wk, wv [H*dh][d], wo [d][H*dh]; RoPE (rotate-half) on the first rotDims of each head.
     */
    public static double[][] forward(double[][] x, int b, int t, int heads, int headDim,
                                     double[][] wq, double[][] wk, double[][] wv, double[][] wo,
                                     int rotDims, double ropeBase) {
        return forward(x, b, t, heads, headDim, wq, wk, wv, wo, rotDims, ropeBase, null);
    }

    /** The same with RoPE at explicit positions [B*T] (null: row % T); the causal mask stays by row order. */
    public static double[][] forward(double[][] x, int b, int t, int heads, int headDim,
                                     double[][] wq, double[][] wk, double[][] wv, double[][] wo,
                                     int rotDims, double ropeBase, int[] positions) {
        int n = b * t;
        int hd = heads * headDim;
        double[][] q = matmulTransposed(x, wq);
        double[][] k = matmulTransposed(x, wk);
        double[][] v = matmulTransposed(x, wv);
        for (int row = 0; row < n; row++) {
            int pos = positions == null ? row % t : positions[row];
            for (int h = 0; h < heads; h++) {
                rope(q[row], h * headDim, pos, rotDims, ropeBase);
                rope(k[row], h * headDim, pos, rotDims, ropeBase);
            }
        }
        double[][] merged = new double[n][hd];
        double scale = 1.0 / Math.sqrt(headDim);
        for (int seq = 0; seq < b; seq++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int c = 0; c < headDim; c++) {
                            s += q[seq * t + i][h * headDim + c] * k[seq * t + j][h * headDim + c];
                        }
                        scores[j] = s * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        z += scores[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < headDim; c++) {
                            merged[seq * t + i][h * headDim + c] += scores[j] / z * v[seq * t + j][h * headDim + c];
                        }
                    }
                }
            }
        }
        return matmulTransposed(merged, wo);
    }

    /** Rotate-half RoPE on vec[base .. base + rotDims) for position pos, in place. */
    public static void rope(double[] vec, int base, int pos, int rotDims, double ropeBase) {
        int half = rotDims / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(ropeBase, -2.0 * i / rotDims);
            double a = vec[base + i];
            double c = vec[base + i + half];
            vec[base + i] = a * Math.cos(angle) - c * Math.sin(angle);
            vec[base + i + half] = c * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    /** x [n][in] times w^T for w [out][in]. */
    static double[][] matmulTransposed(double[][] x, double[][] w) {
        double[][] y = new double[x.length][w.length];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < w.length; o++) {
                double s = 0;
                for (int i = 0; i < w[o].length; i++) {
                    s += x[r][i] * w[o][i];
                }
                y[r][o] = s;
            }
        }
        return y;
    }
}
