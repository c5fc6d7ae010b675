package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Capacity;
import dev.ponder.core.routing.DispatchPlan;
import dev.ponder.core.routing.Dispatcher;
import dev.ponder.core.routing.ExpertMlp;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.routing.SoftmaxTopK;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The classic top-k softmax MoE feed-forward (Switch / GShard, MODELS.md section 0b):
 * p = softmax(x Wr^T) (Wr [E, d]); the k most probable experts; gates = p (optionally renormalised
 * over the k); y = sum_j g_j W2[e_j] act(W1[e_j] x), W1 [E, d, m], W2 [E, m, d], no biases.
 * Optional capacity (factor c: at most ceil(c N k / E) slots per expert, overflow dropped; 0 =
 * dropless). Auxiliary losses, already multiplied by their coefficients: load balancing
 * auxCoef * E * sum_e f_e P_e and router z-loss zCoef * mean(logsumexp^2).
 *
 * <p>Parameters: "{name}.router.weight" [E, d], "{name}.up" [E, d, m], "{name}.down" [E, m, d].
 * Init with scale s: router and up ~ N(0, s / sqrt(d)), down ~ N(0, s / sqrt(m)) (each expert is
 * initialised like a dense FFN of width m; the gates sum to at most 1).
 */
public final class SoftmaxMoe {
    private final String name;
    private final int dim;
    private final Param router;
    private final Param up;
    private final Param down;
    private final SoftmaxTopK select;
    private final Activation activation;
    private final double capacityFactor;
    private final double auxCoef;
    private final double zCoef;

    public SoftmaxMoe(ParamRegistry reg, String name, int dim, int nExperts, int expertSize, int k,
                      boolean renormalize, double capacityFactor, double auxCoef, double zCoef,
                      Activation activation, double initScale) {
        Capacity.perExpert(capacityFactor, 1, k, nExperts);                  // validates the factor
        this.name = name;
        this.dim = dim;
        this.router = reg.add(name + ".router.weight", Init.normal(initScale / Math.sqrt(dim)), nExperts, dim);
        this.up = reg.add(name + ".up", Init.normal(initScale / Math.sqrt(dim)), nExperts, dim, expertSize);
        this.down = reg.add(name + ".down", Init.normal(initScale / Math.sqrt(expertSize)), nExperts, expertSize, dim);
        this.select = new SoftmaxTopK(nExperts, k, renormalize);
        this.activation = activation;
        this.capacityFactor = capacityFactor;
        this.auxCoef = auxCoef;
        this.zCoef = zCoef;
    }

    /** Everything backward needs, plus the auxiliary losses (times their coefficients). */
    public record Saved(INDArray x, INDArray logits, SoftmaxTopK.Saved router, ExpertMlp.Saved experts,
                        double balanceLoss, double zLoss) {
        public Routing routing() {
            return experts.plan().routing();
        }

        /** The auxiliary loss this module adds: balance + z terms, already multiplied by their coefficients. */
        public double auxLoss() {
            return balanceLoss + zLoss;
        }

        public long executedMacs() {
            return experts.macs();
        }
    }

    /** x [N, d] -> [N, d]. */
    public Fwd<Saved> forward(INDArray x) {
        int n = (int) Shapes.requireCols(x, name + " input", dim);
        INDArray z = Ops.mm(x, router.value(), false, true);               // [N, d] x [d, E] -> [N, E]
        SoftmaxTopK.Routed routed = select.route(z);
        Routing r = Capacity.limit(routed.routing(), capacityFactor);
        DispatchPlan plan = DispatchPlan.contiguous(r, n, n);
        Fwd<ExpertMlp.Saved> y = ExpertMlp.forward(plan, x, up.value(), down.value(), activation);
        double bal = auxCoef == 0 ? 0 : auxCoef * select.balanceLoss(routed.saved());
        double zl = zCoef == 0 ? 0 : zCoef * select.zLoss(routed.saved());
        return new Fwd<>(y.out(), new Saved(x, z, routed.saved(), y.saved(), bal, zl));
    }

    /** dy [N, d] -> dx [N, d], through the experts, the gates and the auxiliary losses. */
    public INDArray backward(Saved s, INDArray dy) {
        Dispatcher.Grads g = ExpertMlp.backward(s.experts(), up.value(), up.grad(), down.value(), down.grad(),
                activation, dy);
        INDArray dz = select.backward(s.router(), g.dGates(), auxCoef, zCoef, s.logits()); // [N, E]
        Ops.gemm(dz, s.x(), router.grad(), true, false, 1.0, 1.0);        // [E, N] x [N, d] -> [E, d]
        return g.dInput().addi(Ops.mm(dz, router.value(), false, false));  // [N, E] x [E, d] -> [N, d]
    }

    /** Forward multiply-adds per token of the router (d x E). */
    public long routerMacsPerToken() {
        return (long) dim * select.nExperts();
    }
}
