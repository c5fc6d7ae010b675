package dev.ponder.core.nn;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.SoftmaxTopK;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * SUT's router (MODELS.md section 2; the reference MoE's {@code w_gate}): logits =
 * Linear(d, E, no bias)(tanh(Linear(d, d)(x))), then softmax over E, the top k chosen without
 * gradient and their probabilities renormalised, g = p_topk / (sum p_topk + 1e-6) ({@link SoftmaxTopK}).
 *
 * <p>Parameters "{name}.hidden.weight" [d, d], "{name}.hidden.bias" [d], "{name}.out.weight" [E, d];
 * PyTorch's Linear default init U(+-1/sqrt(d)) for all three, as in the reference.
 */
public final class TanhRouter {
    /** The reference's renormalisation epsilon. */
    public static final double RENORM_EPS = 1e-6;

    private final String name;
    private final int dim;
    private final Linear hidden;
    private final Linear out;
    private final SoftmaxTopK select;

    public TanhRouter(ParamRegistry reg, String name, int dim, int nExperts, int k) {
        this.name = name;
        this.dim = dim;
        Init u = Init.uniform(1.0 / Math.sqrt(dim));
        this.hidden = new Linear(name + ".hidden", reg.add(name + ".hidden.weight", u, dim, dim),
                reg.add(name + ".hidden.bias", u, false, dim));
        this.out = new Linear(name + ".out", reg.add(name + ".out.weight", u, nExperts, dim), null);
        this.select = new SoftmaxTopK(nExperts, k, true, RENORM_EPS);
    }

    /** The router's input, its tanh hidden layer and its logits [N, E]. */
    public record Saved(Linear.Saved hidden, INDArray tanh, Linear.Saved out, INDArray logits,
                        SoftmaxTopK.Saved select) {}

    /** Routing of every row of x [N, d] and what backward needs. */
    public record Routed(dev.ponder.core.routing.Routing routing, Saved saved) {}

    /** x [N, d] -> the top-k routing of each row. */
    public Routed route(INDArray x) {
        Shapes.requireCols(x, name + " input", dim);
        long t = PhaseTimer.start();
        Fwd<Linear.Saved> h = hidden.forward(x);                       // [N, d] x [d, d] -> [N, d]
        INDArray th = Transforms.tanh(h.out(), false);                 // in place
        Fwd<Linear.Saved> z = out.forward(th);                         // [N, d] x [d, E] -> [N, E]
        SoftmaxTopK.Routed r = select.route(z.out());
        PhaseTimer.stop("router", t);
        return new Routed(r.routing(), new Saved(h.saved(), th, z.saved(), z.out(), r.saved()));
    }

    /**
     * The gradient of the chosen gates [N, k] (and {@code dLogitsExtra} [N, E], an auxiliary loss's
     * logit gradient; may be null) -> dx [N, d]; accumulates the router's weight gradients.
     */
    public INDArray backward(Saved s, INDArray dGates, INDArray dLogitsExtra) {
        long t = PhaseTimer.start();
        INDArray dz = select.backward(s.select(), dGates, 0.0, 0.0, s.logits());   // [N, E]
        if (dLogitsExtra != null) {
            dz.addi(dLogitsExtra);
        }
        INDArray dth = out.backward(s.out(), dz);                                   // [N, d]
        dth.muli(s.tanh().mul(s.tanh()).rsubi(1.0));                               // through tanh: 1 - tanh^2
        INDArray dx = hidden.backward(s.hidden(), dth);
        PhaseTimer.stop("router", t);
        return dx;
    }

    public int nExperts() {
        return select.nExperts();
    }

    public int k() {
        return select.k();
    }

    /** Forward multiply-adds per routed row: d d + d E. */
    public long macsPerRow() {
        return (long) dim * dim + (long) dim * select.nExperts();
    }
}
