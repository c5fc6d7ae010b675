package dev.ponder.core.nn;

/**
 * SwitchHead written as plain loops over double arrays, straight from MODELS.md section 1, to
 * cross-check the dispatch-based {@link SwitchHeadAttention}.
 */
final class SwitchHeadReference {
    private SwitchHeadReference() {}

    /**
     * xn, x [B*T][d]; wq, wk [H*dh][d]; E > 1: wv [H*E][d][dh], wo [H*E][dh][d], selV, selO [H*E][d];
     * E = 1: wv2 [H*dh][d], wo2 [d][H*dh], selO [H][d].
     */
    static double[][] forward(double[][] xn, double[][] x, int b, int t, int heads, int dh, int experts, int k,
                              double[][] wq, double[][] wk, double[][][] wv, double[][][] wo, double[][] wv2,
                              double[][] wo2, double[][] selV, double[][] selO) {
        int n = b * t;
        int d = x[0].length;
        double scale = Math.pow(dh, -0.25);
        double[][] q = AttentionReference.matmulTransposed(xn, wq);
        double[][] kk = AttentionReference.matmulTransposed(xn, wk);
        int rot = Rope.rotatedDims(dh, 0.5);
        for (int row = 0; row < n; row++) {
            for (int c = 0; c < heads * dh; c++) {
                q[row][c] *= scale;
                kk[row][c] *= scale;
            }
            for (int h = 0; h < heads; h++) {
                AttentionReference.rope(q[row], h * dh, row % t, rot, 10000);
                AttentionReference.rope(kk[row], h * dh, row % t, rot, 10000);
            }
        }
        double[][] v = new double[n][heads * dh];
        double[][] zo = AttentionReference.matmulTransposed(xn, selO);
        if (experts > 1) {
            double[][] zv = AttentionReference.matmulTransposed(xn, selV);
            for (int row = 0; row < n; row++) {
                for (int h = 0; h < heads; h++) {
                    for (int e : topK(zv[row], h * experts, experts, k)) {
                        double g = sigmoid(zv[row][h * experts + e]);
                        for (int c = 0; c < dh; c++) {
                            for (int i = 0; i < d; i++) {
                                v[row][h * dh + c] += g * x[row][i] * wv[h * experts + e][i][c];
                            }
                        }
                    }
                }
            }
        } else {
            v = AttentionReference.matmulTransposed(x, wv2);
        }
        double[][] a = new double[n][heads * dh];
        for (int seq = 0; seq < b; seq++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] p = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < dh; c++) {
                            p[j] += q[seq * t + i][h * dh + c] * kk[seq * t + j][h * dh + c];
                        }
                        max = Math.max(max, p[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        p[j] = Math.exp(p[j] - max);
                        z += p[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < dh; c++) {
                            a[seq * t + i][h * dh + c] += p[j] / z * v[seq * t + j][h * dh + c];
                        }
                    }
                }
            }
        }
        double[][] out = new double[n][d];
        for (int row = 0; row < n; row++) {
            for (int h = 0; h < heads; h++) {
                if (experts > 1) {
                    for (int e : topK(zo[row], h * experts, experts, k)) {
                        double g = sigmoid(zo[row][h * experts + e]);
                        for (int c = 0; c < dh; c++) {
                            for (int i = 0; i < d; i++) {
                                out[row][i] += g * a[row][h * dh + c] * wo[h * experts + e][c][i];
                            }
                        }
                    }
                } else {
                    double g = sigmoid(zo[row][h]);
                    for (int c = 0; c < dh; c++) {
                        for (int i = 0; i < d; i++) {
                            out[row][i] += g * a[row][h * dh + c] * wo2[i][h * dh + c];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Indices (0..n-1) of the k largest of v[from .. from + n), by repeated arg-max. */
    static int[] topK(double[] v, int from, int n, int k) {
        int[] out = new int[k];
        boolean[] used = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!used[i] && (best < 0 || v[from + i] > v[from + best])) {
                    best = i;
                }
            }
            used[best] = true;
            out[j] = best;
        }
        return out;
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }
}
