package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.DispatchPlan;
import dev.ponder.core.routing.Dispatcher;
import dev.ponder.core.routing.ExpertMlp;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SUT's MoE feed-forward (MODELS.md section 2): a {@link TanhRouter} picks k of E experts with
 * renormalised gates g and y = sum_j g_j (act(x W1[e_j] + b1[e_j]) W2[e_j] + b2[e_j]), act = GELU
 * by default. Only the rows given are routed (SUT passes the tokens still running), and only
 * routed slots are computed ({@link ExpertMlp}).
 *
 * <p>Parameters: "{name}.router.*", "{name}.up" [E, d, m], "{name}.up_bias" [E, m], "{name}.down"
 * [E, m, d], "{name}.down_bias" [E, d]. Init as the reference's ParallelExperts: weights
 * U(+-1/fan_in), biases U(+-1/sqrt(fan_out)).
 */
public final class ExpertFfn {
    private final String name;
    private final int dim;
    private final int k;
    private final int expertSize;
    private final TanhRouter router;
    private final Param up;
    private final Param upBias;
    private final Param down;
    private final Param downBias;
    private final Activation activation;

    public ExpertFfn(ParamRegistry reg, String name, int dim, int nExperts, int expertSize, int k,
                     Activation activation) {
        this.name = name;
        this.dim = dim;
        this.k = k;
        this.expertSize = expertSize;
        this.router = new TanhRouter(reg, name + ".router", dim, nExperts, k);
        this.up = reg.add(name + ".up", Init.uniform(1.0 / dim), nExperts, dim, expertSize);
        this.upBias = reg.add(name + ".up_bias", Init.uniform(1.0 / Math.sqrt(expertSize)), false, nExperts, expertSize);
        this.down = reg.add(name + ".down", Init.uniform(1.0 / expertSize), nExperts, expertSize, dim);
        this.downBias = reg.add(name + ".down_bias", Init.uniform(1.0 / Math.sqrt(dim)), false, nExperts, dim);
        this.activation = activation;
    }

    public record Saved(TanhRouter.Saved router, Routing routing, ExpertMlp.Saved experts) {}

    /** x [n, d] -> [n, d]. */
    public Fwd<Saved> forward(INDArray x) {
        int n = (int) Shapes.requireCols(x, name + " input", dim);
        TanhRouter.Routed r = router.route(x);
        Fwd<ExpertMlp.Saved> y = ExpertMlp.forward(DispatchPlan.contiguous(r.routing(), n, n), x, up.value(),
                upBias.value(), down.value(), downBias.value(), activation);
        return new Fwd<>(y.out(), new Saved(r.saved(), r.routing(), y.saved()));
    }

    /** dy [n, d] -> dx [n, d]; {@code dLogitsExtra} [n, E] (may be null) joins the router's logit gradient. */
    public INDArray backward(Saved s, INDArray dy, INDArray dLogitsExtra) {
        Dispatcher.Grads g = ExpertMlp.backward(s.experts(), up.value(), up.grad(), upBias.grad(), down.value(),
                down.grad(), downBias.grad(), activation, dy);
        return g.dInput().addi(router.backward(s.router(), g.dGates(), dLogitsExtra));
    }

    /** Forward multiply-adds per routed row: the router and k experts of 2 d m. */
    public long macsPerRow() {
        return router.macsPerRow() + 2L * k * dim * expertSize;
    }

    public TanhRouter router() {
        return router;
    }
}
