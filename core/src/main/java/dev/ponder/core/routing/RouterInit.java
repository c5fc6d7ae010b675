package dev.ponder.core.routing;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reference's post-initialisation rescaling of router matrices [rows, d]: every row is scaled
 * to unit L2 norm, then the matrix is brought back to a target standard deviation. Standard
 * deviations are PyTorch's (unbiased, n - 1).
 */
public final class RouterInit {
    private RouterInit() {}

    /**
     * σ-MoE's {@code renorm_keep_std(dim=1)}: std0 = std(W); W_i /= ||W_i||; W *= std0 / std(W).
     */
    public static void renormKeepStd(INDArray w) {
        double[] v = HostArrays.read(w);
        int rows = (int) w.size(0);
        int cols = (int) (v.length / rows);
        double std0 = std(v);
        normalizeRows(v, rows, cols);
        scale(v, std0 / std(v));
        HostArrays.write(v, w);
    }

    /**
     * SwitchHead's {@code renorm_rows}: per-row std_i of the initial W; W_i /= ||W_i||;
     * W_i *= std_i / std(W) (std of the whole normalised matrix).
     */
    public static void renormRows(INDArray w) {
        double[] v = HostArrays.read(w);
        int rows = (int) w.size(0);
        int cols = (int) (v.length / rows);
        double[] rowStd = new double[rows];
        for (int r = 0; r < rows; r++) {
            rowStd[r] = std(java.util.Arrays.copyOfRange(v, r * cols, (r + 1) * cols));
        }
        normalizeRows(v, rows, cols);
        double all = std(v);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] *= rowStd[r] / all;
            }
        }
        HostArrays.write(v, w);
    }

    static double std(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    private static void normalizeRows(double[] v, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            double n = 0;
            for (int c = 0; c < cols; c++) {
                n += v[r * cols + c] * v[r * cols + c];
            }
            double inv = 1.0 / Math.sqrt(n);
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] *= inv;
            }
        }
    }

    private static void scale(double[] v, double f) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= f;
        }
    }
}
