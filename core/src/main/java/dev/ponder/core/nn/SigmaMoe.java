package dev.ponder.core.nn;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.DispatchPlan;
import dev.ponder.core.routing.Dispatcher;
import dev.ponder.core.routing.ExpertMlp;
import dev.ponder.core.routing.RouterInit;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.routing.SigmoidTopK;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * σ-MoE feed-forward (MoEUT, MODELS.md section 1), no biases:
 * z = sel · W_sel^T (W_sel [E, d]); the k largest sigmoid(z) per token are chosen without gradient
 * and not renormalised; y = sum_j s_j ReLU(x K[e_j]) V[e_j] with K [E, d, m], V [E, m, d].
 * The selection input is LN2(x) while the experts read x itself.
 *
 * <p>Parameters (reference names): "{name}.keys", "{name}.values", "{name}.expert_sel".
 * Init with scale s: W_sel, K ~ N(0, s / sqrt(d)), V ~ N(0, s / sqrt(E m)); after the registry is
 * built call {@link #renormRouter()} for the reference's row renormalisation of W_sel.
 */
public final class SigmaMoe {
    private final String name;
    private final int dim;
    private final Param keys;
    private final Param values;
    private final Param expertSel;
    private final SigmoidTopK router;

    public SigmaMoe(ParamRegistry reg, String name, int dim, int nExperts, int expertSize, int k,
                    double expertDropout, double initScale) {
        this.name = name;
        this.dim = dim;
        this.keys = reg.add(name + ".keys", Init.normal(initScale / Math.sqrt(dim)), nExperts, dim, expertSize);
        this.values = reg.add(name + ".values", Init.normal(initScale / Math.sqrt((double) nExperts * expertSize)),
                nExperts, expertSize, dim);
        this.expertSel = reg.add(name + ".expert_sel", Init.normal(initScale / Math.sqrt(dim)), nExperts, dim);
        this.router = new SigmoidTopK(nExperts, k, 1, expertDropout);
    }

    /** Row renormalisation of the selection matrix (call once after the registry is built). */
    public void renormRouter() {
        RouterInit.renormKeepStd(expertSel.value());
    }

    /** Everything backward needs; {@code logits} [N, E] are also what the entropy regulariser reads. */
    public record Saved(INDArray selInput, INDArray logits, SigmoidTopK.Saved router, ExpertMlp.Saved experts) {
        public Routing routing() {
            return experts.plan().routing();
        }

        /** Expert multiply-adds actually run (routed slots only). */
        public long executedMacs() {
            return experts.macs();
        }
    }

    /** Gradients with respect to the expert input and the selection input. */
    public record Grads(INDArray dx, INDArray dSelInput) {}

    /** x, sel [N, d] -> [N, d]. {@code rng} drives expert dropout in training (may be null when it is off). */
    public Fwd<Saved> forward(INDArray x, INDArray sel, boolean training, Rng rng) {
        int n = (int) Shapes.requireCols(x, name + " input", dim);
        Shapes.require(sel, name + " selection input", n, dim);
        long t = PhaseTimer.start();
        INDArray z = Ops.mm(sel, expertSel.value(), false, true);          // [N, d] x [d, E] -> [N, E]
        SigmoidTopK.Routed routed = router.route(z, training, rng);
        PhaseTimer.stop("router", t);
        DispatchPlan plan = DispatchPlan.contiguous(routed.routing(), n, n);
        Fwd<ExpertMlp.Saved> y = ExpertMlp.forward(plan, x, keys.value(), values.value(), Activation.RELU);
        return new Fwd<>(y.out(), new Saved(sel, z, routed.saved(), y.saved()));
    }

    /**
     * dy [N, d] -> gradients of x and of the selection input; {@code dLogitsExtra} [N, E] (may be
     * null) is added to the router logits' gradient (the entropy regulariser's).
     */
    public Grads backward(Saved s, INDArray dy, INDArray dLogitsExtra) {
        Dispatcher.Grads g = ExpertMlp.backward(s.experts(), keys.value(), keys.grad(), values.value(),
                values.grad(), Activation.RELU, dy);
        long t = PhaseTimer.start();
        INDArray dz = router.backward(s.router(), g.dGates(), s.logits());  // [N, E]
        if (dLogitsExtra != null) {
            dz.addi(dLogitsExtra);
        }
        Ops.gemm(dz, s.selInput(), expertSel.grad(), true, false, 1.0, 1.0); // [E, N] x [N, d] -> [E, d]
        INDArray dSel = Ops.mm(dz, expertSel.value(), false, false);       // [N, E] x [E, d] -> [N, d]
        PhaseTimer.stop("router", t);
        return new Grads(g.dInput(), dSel);
    }

    public SigmoidTopK router() {
        return router;
    }

    /** Forward multiply-adds per token of the router (d x E). */
    public long routerMacsPerToken() {
        return (long) dim * router.nExperts();
    }
}
