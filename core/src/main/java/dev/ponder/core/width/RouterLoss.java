package dev.ponder.core.width;

import dev.ponder.core.routing.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-hot binary cross-entropy with logits, averaged over every (row, width) element as
 * PyTorch's BCEWithLogitsLoss (reduction mean) in the reference: per element
 * max(z, 0) - z y + log(1 + exp(-|z|)), gradient (sigmoid(z) - y) / count. Computed on the host:
 * the router's logits are [B, |W|] or [B*T, |W|], a few thousand numbers.
 */
public final class RouterLoss {
    private RouterLoss() {}

    /** The mean loss, its gradient times {@code scale}, and how many rows' argmax is a label. */
    public record Result(double loss, INDArray dLogits, long correct, long rows) {}

    /**
     * logits [rows, |W|]; row i's labels are {@code labels[i / rowsPerLabel]} (a sample's labels shared
     * by its per-token rows).
     */
    public static Result compute(INDArray logits, boolean[][] labels, int rowsPerLabel, double scale) {
        int rows = (int) logits.size(0);
        int k = (int) logits.size(1);
        double[] z = HostArrays.read(logits);
        double[] g = new double[z.length];
        double loss = 0;
        long correct = 0;
        for (int i = 0; i < rows; i++) {
            boolean[] y = labels[i / rowsPerLabel];
            int best = 0;
            for (int j = 0; j < k; j++) {
                double zj = z[i * k + j];
                double yj = y[j] ? 1 : 0;
                loss += Math.max(zj, 0) - zj * yj + Math.log1p(Math.exp(-Math.abs(zj)));
                g[i * k + j] = (sigmoid(zj) - yj) * scale / ((double) rows * k);
                if (zj > z[i * k + best]) {
                    best = j;
                }
            }
            if (y[best]) {
                correct++;
            }
        }
        INDArray d = HostArrays.create(g, logits.dataType(), rows, k);
        return new Result(loss / ((double) rows * k), d, correct, rows);
    }

    /** Index of the largest logit of each row of logits [rows, |W|] (first on ties). */
    public static int[] argmax(INDArray logits) {
        int rows = (int) logits.size(0);
        int k = (int) logits.size(1);
        double[] z = HostArrays.read(logits);
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (z[i * k + j] > z[i * k + best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
