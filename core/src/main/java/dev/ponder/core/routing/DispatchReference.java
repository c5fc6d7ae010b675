package dev.ponder.core.routing;

/**
 * The slow, obvious dispatch: a loop over slots on plain double arrays, with no sorting, gathering or
 * batching. It exists to cross-check {@link Dispatcher} and {@link ExpertMlp} (values and all
 * gradients) in tests; keep it simple rather than fast.
 *
 * <p>Slots are described per slot s: expert[s] (-1 = dropped), gate[s], inRow[s], outRow[s].
 */
public final class DispatchReference {
    private DispatchReference() {}

    /** Output and, for a given output gradient, the input, gate and weight gradients. */
    public record Result(double[][] out, double[][] dInput, double[] dGates, double[][][] dW1, double[][][] dW2) {}

    /** Linear experts: out[outRow[s]] += gate[s] * input[inRow[s]] W[expert[s]], W [E][a][b]. */
    public static Result linear(double[][] input, double[][][] w, int[] expert, double[] gate, int[] inRow,
                                int[] outRow, int outRows, double[][] dOut) {
        int a = w[0].length;
        int b = w[0][0].length;
        double[][] out = new double[outRows][b];
        double[][] dIn = new double[input.length][a];
        double[] dGate = new double[expert.length];
        double[][][] dW = new double[w.length][a][b];
        for (int s = 0; s < expert.length; s++) {
            int e = expert[s];
            if (e < 0) {
                continue;
            }
            double[] x = input[inRow[s]];
            double[] y = vecMat(x, w[e]);
            double[] g = dOut[outRow[s]];
            for (int j = 0; j < b; j++) {
                out[outRow[s]][j] += gate[s] * y[j];
                dGate[s] += g[j] * y[j];
            }
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    dW[e][i][j] += gate[s] * x[i] * g[j];
                    dIn[inRow[s]][i] += gate[s] * w[e][i][j] * g[j];
                }
            }
        }
        return new Result(out, dIn, dGate, dW, null);
    }

    /** Two-layer experts: out[outRow[s]] += gate[s] * act(x[inRow[s]] W1[e]) W2[e] (ReLU or identity). */
    public static Result mlp(double[][] input, double[][][] w1, double[][][] w2, boolean relu, int[] expert,
                             double[] gate, int[] inRow, int[] outRow, int outRows, double[][] dOut) {
        int d = w1[0].length;
        int m = w1[0][0].length;
        int dOutW = w2[0][0].length;
        double[][] out = new double[outRows][dOutW];
        double[][] dIn = new double[input.length][d];
        double[] dGate = new double[expert.length];
        double[][][] dW1 = new double[w1.length][d][m];
        double[][][] dW2 = new double[w2.length][m][dOutW];
        for (int s = 0; s < expert.length; s++) {
            int e = expert[s];
            if (e < 0) {
                continue;
            }
            double[] x = input[inRow[s]];
            double[] h = vecMat(x, w1[e]);
            double[] act = new double[m];
            for (int i = 0; i < m; i++) {
                act[i] = relu ? Math.max(0, h[i]) : h[i];
            }
            double[] y = vecMat(act, w2[e]);
            double[] g = dOut[outRow[s]];
            double[] dAct = new double[m];
            for (int j = 0; j < dOutW; j++) {
                out[outRow[s]][j] += gate[s] * y[j];
                dGate[s] += g[j] * y[j];
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < dOutW; j++) {
                    dW2[e][i][j] += gate[s] * act[i] * g[j];
                    dAct[i] += gate[s] * w2[e][i][j] * g[j];
                }
            }
            for (int i = 0; i < m; i++) {
                double dh = relu && h[i] <= 0 ? 0 : dAct[i];
                for (int c = 0; c < d; c++) {
                    dW1[e][c][i] += x[c] * dh;
                    dIn[inRow[s]][c] += w1[e][c][i] * dh;
                }
            }
        }
        return new Result(out, dIn, dGate, dW1, dW2);
    }

    private static double[] vecMat(double[] x, double[][] w) {
        double[] y = new double[w[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < y.length; j++) {
                y[j] += x[i] * w[i][j];
            }
        }
        return y;
    }
}
