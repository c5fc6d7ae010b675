package dev.ponder.core.routing;

import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The classic (Switch / GShard) router: p = softmax(z) over E experts, the k most probable chosen
 * without gradient, gates = their p, optionally renormalised to sum to 1 over the k chosen
 * (g_j = p_j / (sum of the chosen p + eps); eps = 0 by default, 1e-6 in SUT's router). Also computes the auxiliary losses of the classic MoE:
 * <ul>
 *   <li>load balancing L_aux = E * sum_e f_e P_e, f_e = share of the N*k choices that picked e
 *       (before any capacity drop; no gradient), P_e = mean over rows of p_e (1 when uniform);</li>
 *   <li>router z-loss L_z = mean over rows of logsumexp(z)^2 (ST-MoE).</li>
 * </ul>
 * Backward takes the gate gradient and the two loss coefficients and returns dz.
 */
public final class SoftmaxTopK {
    private final int nExperts;
    private final int k;
    private final boolean renormalize;
    private final double renormEps;

    public SoftmaxTopK(int nExperts, int k, boolean renormalize) {
        this(nExperts, k, renormalize, 0.0);
    }

    /** With {@code renormEps} added to the chosen probabilities' sum before dividing (SUT: 1e-6). */
    public SoftmaxTopK(int nExperts, int k, boolean renormalize, double renormEps) {
        Shapes.requireRange(k, 1, nExperts, "router k (experts chosen per row)");
        if (!(renormEps >= 0)) {
            throw new IllegalArgumentException("router renormalisation epsilon: expected >= 0, found " + renormEps);
        }
        this.nExperts = nExperts;
        this.k = k;
        this.renormalize = renormalize;
        this.renormEps = renormEps;
    }

    /**
     * Probabilities [N*E], logsumexp per row, chosen experts [N*k] and the renormalisation
     * denominators (sum of the chosen p, plus eps).
     */
    public record Saved(int rows, double[] probs, double[] lse, int[] experts, double[] chosenSum) {}

    public record Routed(Routing routing, Saved saved) {}

    /** logits [N, E] -> routing of N rows, k slots. */
    public Routed route(INDArray logits) {
        int n = (int) Shapes.requireCols(logits, "router logits", nExperts);
        double[] p = HostArrays.read(logits);
        double[] lse = new double[n];
        for (int r = 0; r < n; r++) {
            int from = r * nExperts;
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < nExperts; e++) {
                max = Math.max(max, p[from + e]);
            }
            double sum = 0;
            for (int e = 0; e < nExperts; e++) {
                p[from + e] = Math.exp(p[from + e] - max);
                sum += p[from + e];
            }
            for (int e = 0; e < nExperts; e++) {
                p[from + e] /= sum;
            }
            lse[r] = max + Math.log(sum);
        }
        int[] experts = new int[n * k];
        double[] gates = new double[n * k];
        double[] chosenSum = new double[n];
        for (int r = 0; r < n; r++) {
            TopK.select(p, r * nExperts, nExperts, k, experts, r * k);
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += p[r * nExperts + experts[r * k + j]];
            }
            sum += renormEps;
            chosenSum[r] = sum;
            for (int j = 0; j < k; j++) {
                double v = p[r * nExperts + experts[r * k + j]];
                gates[r * k + j] = renormalize ? v / sum : v;
            }
        }
        INDArray g = HostArrays.create(gates, logits.dataType(), n, k);
        return new Routed(Routing.of(g, experts.clone(), nExperts), new Saved(n, p, lse, experts, chosenSum));
    }

    /** E * sum_e f_e P_e (1.0 for perfectly uniform routing). */
    public double balanceLoss(Saved s) {
        double[] f = choiceShare(s);
        double loss = 0;
        for (int e = 0; e < nExperts; e++) {
            loss += f[e] * meanProb(s, e);
        }
        return nExperts * loss;
    }

    /** Mean over rows of logsumexp(z)^2. */
    public double zLoss(Saved s) {
        double sum = 0;
        for (double v : s.lse()) {
            sum += v * v;
        }
        return sum / s.rows();
    }

    /**
     * dGates [N, k] -> dz [N, E] of (task loss + balanceCoef * L_aux + zCoef * L_z); the task loss
     * reaches z only through the chosen gates.
     */
    public INDArray backward(Saved s, INDArray dGates, double balanceCoef, double zCoef, INDArray logits) {
        int n = s.rows();
        double[] dg = HostArrays.read(dGates);
        double[] p = s.probs();
        double[] f = choiceShare(s);
        double[] dz = new double[n * nExperts];
        double[] dp = new double[nExperts];
        for (int r = 0; r < n; r++) {
            int from = r * nExperts;
            for (int e = 0; e < nExperts; e++) {
                dp[e] = balanceCoef * nExperts * f[e] / n;       // d(E sum f P)/dp_{r,e}, P = mean over rows
            }
            double dotGate = 0;
            if (renormalize) {
                for (int j = 0; j < k; j++) {
                    dotGate += dg[r * k + j] * p[from + s.experts()[r * k + j]];
                }
            }
            for (int j = 0; j < k; j++) {
                int e = s.experts()[r * k + j];
                dp[e] += renormalize
                        ? dg[r * k + j] / s.chosenSum()[r] - dotGate / (s.chosenSum()[r] * s.chosenSum()[r])
                        : dg[r * k + j];
            }
            double dot = 0;
            for (int e = 0; e < nExperts; e++) {
                dot += p[from + e] * dp[e];
            }
            double zTerm = zCoef * 2.0 * s.lse()[r] / n;          // d(lse^2 / N)/dz = 2 lse p / N
            for (int e = 0; e < nExperts; e++) {
                dz[from + e] = p[from + e] * (dp[e] - dot) + zTerm * p[from + e];
            }
        }
        return HostArrays.create(dz, logits.dataType(), logits.shape());
    }

    private double[] choiceShare(Saved s) {
        double[] f = new double[nExperts];
        for (int e : s.experts()) {
            f[e] += 1.0;
        }
        for (int e = 0; e < nExperts; e++) {
            f[e] /= (double) s.rows() * k;
        }
        return f;
    }

    private double meanProb(Saved s, int e) {
        double sum = 0;
        for (int r = 0; r < s.rows(); r++) {
            sum += s.probs()[r * nExperts + e];
        }
        return sum / s.rows();
    }

    public int nExperts() {
        return nExperts;
    }

    public int k() {
        return k;
    }
}
