package dev.ponder.core.routing;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SUT's mutual-information load balancing for one MoE module (MODELS.md section 2), over all rows
 * the module routed in a forward pass (every step of a universal transformer pooled, as the
 * reference accumulates them): row x has router probabilities p(e|x) = softmax(z_x) and a weight
 * m_x (SUT: the halting mask, 1 at the first step), p_x = m_x / sum m, p(e) = sum_x p_x p(e|x).
 * <ul>
 *   <li>default: loss = -MI = H(E|X) - H(E), H(E|X) = -sum_x p_x sum_e p(e|x) log p(e|x),
 *       H(E) = -sum_e p(e) log p(e): confident routing that spreads over all experts;</li>
 *   <li>reference sign: H(E|X) + H(E), what the reference code computes (its H(E) term has the
 *       sign flipped, which rewards collapsing onto few experts).</li>
 * </ul>
 * Gradients flow to the logits and to the weights (the reference does not detach the mask).
 * Everything is host double arithmetic: O(rows x experts).
 */
public final class MutualInformationLoss {
    private MutualInformationLoss() {}

    /**
     * The loss times its coefficient, its two entropies (nats, without the coefficient) and the
     * gradients of the scaled loss: per part, logits [n_i, E] (in {@code dtype}) and weights [n_i].
     */
    public record Result(double loss, double conditionalEntropy, double marginalEntropy, List<INDArray> dLogits,
                         List<double[]> dWeights) {}

    /**
     * {@code probs.get(i)} row-major [n_i, E] router probabilities and {@code weights.get(i)} [n_i]
     * their weights, one entry per part (step).
     */
    public static Result compute(List<double[]> probs, List<double[]> weights, int nExperts, double coef,
                                 boolean referenceSign, DataType dtype) {
        if (probs.size() != weights.size()) {
            throw new IllegalArgumentException("mutual information: expected one weight array per part, found "
                    + probs.size() + " and " + weights.size());
        }
        double total = 0;
        for (int i = 0; i < probs.size(); i++) {
            if (probs.get(i).length != weights.get(i).length * nExperts) {
                throw new IllegalArgumentException("mutual information: part " + i + " expected " + weights.get(i).length
                        + " x " + nExperts + " probabilities, found " + probs.get(i).length);
            }
            for (double m : weights.get(i)) {
                total += m;
            }
        }
        double[] marginal = new double[nExperts];
        double conditional = 0;
        for (int i = 0; i < probs.size(); i++) {
            double[] p = probs.get(i);
            double[] m = weights.get(i);
            for (int x = 0; x < m.length; x++) {
                double w = total > 0 ? m[x] / total : 0;
                for (int e = 0; e < nExperts; e++) {
                    double pe = p[x * nExperts + e];
                    marginal[e] += w * pe;
                    conditional -= w * pe * log(pe);
                }
            }
        }
        double marginalEntropy = 0;
        double[] logMarginal = new double[nExperts];
        for (int e = 0; e < nExperts; e++) {
            logMarginal[e] = log(marginal[e]);
            marginalEntropy -= marginal[e] * logMarginal[e];
        }
        double sign = referenceSign ? 1.0 : -1.0;                       // loss = H(E|X) + sign H(E)
        double loss = coef * (conditional + sign * marginalEntropy);
        List<INDArray> dLogits = new ArrayList<>();
        List<double[]> dWeights = new ArrayList<>();
        // dL/dw_x up to a constant shared by all rows (it cancels: the weights sum to 1)
        List<double[]> dw = new ArrayList<>();
        double meanDw = 0;
        for (int i = 0; i < probs.size(); i++) {
            double[] p = probs.get(i);
            double[] m = weights.get(i);
            double[] dz = new double[p.length];
            double[] g = new double[nExperts];
            double[] dwi = new double[m.length];
            for (int x = 0; x < m.length; x++) {
                double w = total > 0 ? m[x] / total : 0;
                double dot = 0;
                double rowDw = 0;
                for (int e = 0; e < nExperts; e++) {
                    double pe = p[x * nExperts + e];
                    double lp = log(pe);
                    // dL/dp(e|x) up to a constant per row (it cancels in the softmax backward)
                    g[e] = -w * lp - sign * w * logMarginal[e];
                    dot += pe * g[e];
                    rowDw += -pe * lp - sign * pe * logMarginal[e];
                }
                for (int e = 0; e < nExperts; e++) {
                    dz[x * nExperts + e] = coef * p[x * nExperts + e] * (g[e] - dot);
                }
                dwi[x] = rowDw;
                meanDw += w * rowDw;
            }
            dLogits.add(HostArrays.create(dz, dtype, m.length, nExperts));
            dw.add(dwi);
        }
        for (double[] dwi : dw) {
            double[] out = new double[dwi.length];
            for (int x = 0; x < dwi.length; x++) {
                out[x] = total > 0 ? coef * (dwi[x] - meanDw) / total : 0;   // through w_x = m_x / sum m
            }
            dWeights.add(out);
        }
        return new Result(loss, conditional, marginalEntropy, dLogits, dWeights);
    }

    /** log p, with 0 log 0 treated as 0 (a probability that underflowed contributes nothing). */
    private static double log(double p) {
        return p > 0 ? Math.log(p) : 0.0;
    }
}
