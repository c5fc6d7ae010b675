package dev.ponder.core.routing;

import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.metrics.PhaseTimer;
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
 * One exp per logit: log p is evaluated as log(sum of s) in double (the same log-space quantity;
 * a max-shifted logsumexp of log s takes over where the sum would underflow). Sequences are
 * independent, so they are split over the task's threads.
 */
public final class EntropyRegularizer {
    private EntropyRegularizer() {}

    /** L (unscaled) and d(coef * L)/dz for each invocation's logits (same shapes, model dtype). */
    public record Result(double loss, List<INDArray> dLogits) {}

    /**
     * @param logits one [B*T, G*E] array per invocation (row b*T + t)
     */
    public static Result compute(List<INDArray> logits, int batch, int seqLen, int groups, int nExperts, double coef) {
        int[] lens = new int[logits.size()];
        java.util.Arrays.fill(lens, seqLen);
        return compute(logits, batch, lens, groups, nExperts, coef);
    }

    /**
     * Invocations over different numbers of tokens per sequence (Mixture-of-Depths routes a shared
     * layer's invocations over subsets): p_b is the mean over all (t, r) pairs of sequence b, so
     * an invocation weighs by its token count.
     *
     * @param logits one [B*T_r, G*E] array per invocation r (row b*T_r + t)
     * @param seqLens T_r per invocation
     */
    public static Result compute(List<INDArray> logits, int batch, int[] seqLens, int groups, int nExperts,
                                 double coef) {
        long t0 = PhaseTimer.start();
        int reps = logits.size();
        if (seqLens.length != reps) {
            throw new IllegalArgumentException("regulariser: expected one length per invocation (" + reps + "), found "
                    + seqLens.length);
        }
        int width = groups * nExperts;
        long tokens = 0;                                          // sum of T_r
        List<double[]> probs = new ArrayList<>(reps);             // softmax s per row and group, then the gradient
        for (int r = 0; r < reps; r++) {
            Shapes.require(logits.get(r), "regulariser logits", (long) batch * seqLens[r], width);
            probs.add(HostArrays.read(logits.get(r)));
            tokens += seqLens[r];
        }
        double[] lossPerB = new double[batch];
        double scale = coef / ((double) batch * groups * tokens);
        double logTr = Math.log((double) tokens);
        // batch elements are independent: each thread takes whole sequences
        HostParallel.forRange(batch, 4L * batch * tokens * width, (b0, b1) -> {
            double[] sum = new double[width];
            double[] logP = new double[width];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(sum, 0.0);
                for (int r = 0; r < reps; r++) {
                    double[] v = probs.get(r);
                    for (int row = b * seqLens[r]; row < (b + 1) * seqLens[r]; row++) {
                        for (int g = 0; g < groups; g++) {
                            softmaxInPlace(v, row * width + g * nExperts, nExperts);
                        }
                        for (int c = 0; c < width; c++) {
                            sum[c] += v[row * width + c];
                        }
                    }
                }
                double loss = 0;
                for (int c = 0; c < width; c++) {
                    // log p = logsumexp_{t,r}(log s) - log(T R) = log(sum of s) - log(T R); max-shifted if it underflows
                    logP[c] = (sum[c] > 1e-300 ? Math.log(sum[c]) : logSumExpLogs(probs, b, seqLens, width, c)) - logTr;
                    loss += Math.exp(logP[c]) * logP[c];
                }
                lossPerB[b] = loss;
                for (int r = 0; r < reps; r++) {
                    double[] v = probs.get(r);
                    for (int row = b * seqLens[r]; row < (b + 1) * seqLens[r]; row++) {
                        for (int g = 0; g < groups; g++) {
                            int at = row * width + g * nExperts;
                            double mean = 0;
                            for (int e = 0; e < nExperts; e++) {
                                mean += v[at + e] * logP[g * nExperts + e];
                            }
                            for (int e = 0; e < nExperts; e++) {
                                v[at + e] = scale * v[at + e] * (logP[g * nExperts + e] - mean);
                            }
                        }
                    }
                }
            }
        });
        double loss = 0;
        for (double l : lossPerB) {
            loss += l;
        }
        List<INDArray> grads = new ArrayList<>(reps);
        for (int r = 0; r < reps; r++) {
            grads.add(HostArrays.create(probs.get(r), logits.get(r).dataType(), (long) batch * seqLens[r], width));
        }
        PhaseTimer.stop("regularizer", t0);
        return new Result(loss / ((double) batch * groups), grads);
    }

    /** Softmax over v[from .. from + n) in place (max-shifted). */
    private static void softmaxInPlace(double[] v, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            v[from + i] = Math.exp(v[from + i] - max);
            sum += v[from + i];
        }
        for (int i = 0; i < n; i++) {
            v[from + i] /= sum;
        }
    }

    /** log of the sum over (t, r) of column c's probabilities, max-shifted in log space (underflow fallback). */
    private static double logSumExpLogs(List<double[]> probs, int b, int[] seqLens, int width, int c) {
        double max = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < probs.size(); r++) {
            double[] v = probs.get(r);
            for (int row = b * seqLens[r]; row < (b + 1) * seqLens[r]; row++) {
                max = Math.max(max, Math.log(v[row * width + c]));
            }
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int r = 0; r < probs.size(); r++) {
            double[] v = probs.get(r);
            for (int row = b * seqLens[r]; row < (b + 1) * seqLens[r]; row++) {
                sum += Math.exp(Math.log(v[row * width + c]) - max);
            }
        }
        return max + Math.log(sum);
    }
}
