package dev.ponder.core.routing;

import dev.ponder.core.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MoEUT's entropy load-balancing regulariser for one routed module over all R invocations of it
 * (its repeats): per batch element b (and router group g, e.g. head),
 * p_{b,g} = mean over (t, r) of softmax(z_{b,t,r,g}), computed in log space as
 * logsumexp_{t,r}(log_softmax z) - log(T R); L = -mean over (b, g) of H(p_{b,g}) = mean of sum p log p.
 * Softmax over the raw logits although the gating itself is sigmoid, as in the reference.
 *
 * <p>Gradient: with s = softmax(z) of one row, dL/dz = s * (log p - sum_e s_e log p_e) / (B G T R).
 */
public final class EntropyRegularizer {
    private EntropyRegularizer() {}

    /** L (unscaled) and d(coef * L)/dz for each invocation's logits (same shapes, model dtype). */
    public record Result(double loss, List<INDArray> dLogits) {}

    /**
     * @param logits one [B*T, G*E] array per invocation (row b*T + t)
     */
    public static Result compute(List<INDArray> logits, int batch, int seqLen, int groups, int nExperts, double coef) {
        int reps = logits.size();
        int rows = batch * seqLen;
        int width = groups * nExperts;
        List<double[]> logS = new ArrayList<>(reps);
        for (INDArray z : logits) {
            Shapes.require(z, "regulariser logits", rows, width);
            double[] v = HostArrays.read(z);
            for (int row = 0; row < rows * groups; row++) {
                logSoftmaxInPlace(v, row * nExperts, nExperts);
            }
            logS.add(v);
        }
        // log p[b, g, e] = logsumexp over (t, r) of log s, minus log(T R): max pass, then sum pass
        double[] logP = new double[batch * width];
        java.util.Arrays.fill(logP, Double.NEGATIVE_INFINITY);
        for (double[] v : logS) {
            for (int row = 0; row < rows; row++) {
                int pb = (row / seqLen) * width;
                for (int c = 0; c < width; c++) {
                    logP[pb + c] = Math.max(logP[pb + c], v[row * width + c]);
                }
            }
        }
        double[] sum = new double[batch * width];
        for (double[] v : logS) {
            for (int row = 0; row < rows; row++) {
                int pb = (row / seqLen) * width;
                for (int c = 0; c < width; c++) {
                    sum[pb + c] += Math.exp(v[row * width + c] - logP[pb + c]);
                }
            }
        }
        double logTr = Math.log((double) seqLen * reps);
        double loss = 0;
        for (int i = 0; i < logP.length; i++) {
            logP[i] += Math.log(sum[i]) - logTr;
            loss += Math.exp(logP[i]) * logP[i];
        }
        loss /= (double) batch * groups;
        double scale = coef / ((double) batch * groups * seqLen * reps);
        List<INDArray> grads = new ArrayList<>(reps);
        for (int r = 0; r < reps; r++) {
            double[] v = logS.get(r);
            for (int row = 0; row < rows; row++) {
                int pb = (row / seqLen) * width;
                for (int g = 0; g < groups; g++) {
                    int at = row * width + g * nExperts;
                    int pAt = pb + g * nExperts;
                    double mean = 0;
                    for (int e = 0; e < nExperts; e++) {
                        v[at + e] = Math.exp(v[at + e]);                 // s
                        mean += v[at + e] * logP[pAt + e];
                    }
                    for (int e = 0; e < nExperts; e++) {
                        v[at + e] = scale * v[at + e] * (logP[pAt + e] - mean);
                    }
                }
            }
            grads.add(HostArrays.create(v, logits.get(r).dataType(), rows, width));
        }
        return new Result(loss, grads);
    }

    private static void logSoftmaxInPlace(double[] v, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(v[from + i] - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < n; i++) {
            v[from + i] -= lse;
        }
    }
}
