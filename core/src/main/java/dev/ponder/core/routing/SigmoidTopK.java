package dev.ponder.core.routing;

import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The σ-MoE router (MoEUT's feed-forward and SwitchHead): s = sigmoid(z); the k largest s per row are
 * chosen without gradient; their gates are the s values themselves (not renormalised), so the router
 * learns only through the chosen gates: dz = dgate * s (1 - s) on chosen entries, 0 elsewhere.
 *
 * <p>Groups: logits [N, G*E] hold G independent routers of E experts side by side (SwitchHead: one
 * per head). Routing row n*G + g then chooses among experts g*E .. g*E + E - 1, so the G*E experts
 * are distinct weight matrices.
 *
 * <p>Expert dropout (training only; rate p, default 0): each (row, expert) is masked with
 * probability p before top-k, as the reference sets s = -inf. If fewer than k experts survive, the
 * remaining slots are dropped (not computed); the reference would produce -inf gates there.
 * The random stream is passed in: no global RNG.
 */
public final class SigmoidTopK {
    private final int nExperts;
    private final int k;
    private final int groups;
    private final double expertDropout;

    public SigmoidTopK(int nExperts, int k, int groups, double expertDropout) {
        Shapes.requireRange(k, 1, nExperts, "router k (experts chosen per row)");
        if (groups < 1) {
            throw new IllegalArgumentException("router groups: expected >= 1, found " + groups);
        }
        if (!(expertDropout >= 0 && expertDropout < 1)) {
            throw new IllegalArgumentException("expert dropout: expected a value in [0, 1), found " + expertDropout);
        }
        this.nExperts = nExperts;
        this.k = k;
        this.groups = groups;
        this.expertDropout = expertDropout;
    }

    /** Chosen sigmoid values and where they came from, for backward. */
    public record Saved(int rows, double[] gates, int[] logitIndex) {}

    /** The routing and what backward needs. */
    public record Routed(Routing routing, Saved saved) {}

    /**
     * logits [N, G*E] -> a routing of N*G rows with k slots each over G*E experts. {@code dropoutRng}
     * is used only when expert dropout is on ({@code training} and rate > 0).
     */
    public Routed route(INDArray logits, boolean training, Rng dropoutRng) {
        int n = (int) Shapes.requireCols(logits, "router logits", (long) groups * nExperts);
        double[] z = HostArrays.read(logits);
        if (training && expertDropout > 0) {
            SplittableRandom r = dropoutRng.generator();
            for (int i = 0; i < z.length; i++) {
                if (r.nextDouble() < expertDropout) {
                    z[i] = Double.NEGATIVE_INFINITY;  // sigmoid is monotonic: masking z masks s
                }
            }
        }
        int rows = n * groups;
        int[] local = new int[rows * k];
        int[] experts = new int[rows * k];
        int[] logitIndex = new int[rows * k];
        double[] gates = new double[rows * k];
        HostParallel.forRange(rows, (long) rows * nExperts, (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int from = row * nExperts;                   // row n*G + g starts at n*G*E + g*E
                int g = row % groups;
                TopK.select(z, from, nExperts, k, local, row * k);
                for (int j = 0; j < k; j++) {
                    int s = row * k + j;
                    int e = local[s];
                    if (e < 0) {
                        experts[s] = Routing.DROPPED;
                        logitIndex[s] = -1;
                        continue;
                    }
                    experts[s] = g * nExperts + e;
                    logitIndex[s] = from + e;
                    gates[s] = 1.0 / (1.0 + Math.exp(-z[from + e]));
                }
            }
        });
        INDArray gateArray = HostArrays.create(gates, logits.dataType(), rows, k);
        return new Routed(Routing.of(gateArray, experts, groups * nExperts), new Saved(rows, gates, logitIndex));
    }

    /** dGates [N*G, k] -> dLogits [N, G*E] (zero except at chosen entries). */
    public INDArray backward(Saved s, INDArray dGates, INDArray logits) {
        double[] dg = HostArrays.read(dGates);
        double[] dz = new double[(int) logits.length()];
        for (int i = 0; i < dg.length; i++) {
            int at = s.logitIndex()[i];
            if (at >= 0) {
                double g = s.gates()[i];
                dz[at] += dg[i] * g * (1 - g);
            }
        }
        return HostArrays.create(dz, logits.dataType(), logits.shape());
    }

    public int nExperts() {
        return nExperts;
    }

    public int k() {
        return k;
    }

    public int groups() {
        return groups;
    }
}
