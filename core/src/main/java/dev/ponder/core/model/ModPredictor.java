package dev.ponder.core.model;

import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.Linear;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mixture-of-Depths' causal predictor (MODELS.md section 4, the paper's second option): a small MLP
 * on the router's input x_i with stop-gradient, z_i = w2 . ReLU(W1 x_i + b1) + b2, trained with BCE
 * against "token i is in its sequence's top-C". It sees only its own token's state, which the
 * causal layers below computed from tokens <= i, so deciding with it at inference looks at no
 * future token (top-C itself ranks the whole sequence). The stop-gradient keeps its loss off the
 * router and the blocks: it learns to imitate the choice without bending it.
 *
 * <p>Parameters "{name}.up.weight" [h, d], "{name}.up.bias" [h], "{name}.down.weight" [1, h],
 * "{name}.down.bias" [1]; weights ~ N(0, 1/sqrt(fan-in)), biases 0.
 */
final class ModPredictor {
    private final Linear up;
    private final Linear down;

    ModPredictor(ParamRegistry reg, String name, int dim, int hidden) {
        this.up = new Linear(reg, name + ".up", dim, hidden, true, Init.normal(1.0 / Math.sqrt(dim)));
        this.down = new Linear(reg, name + ".down", hidden, 1, true, Init.normal(1.0 / Math.sqrt(hidden)));
    }

    record Saved(Linear.Saved up, INDArray hidden, Linear.Saved down) {}

    /** x [N, d] (a copy nobody modifies later: its backward reads it) -> logits [N] on the host. */
    Fwd<Saved> forward(INDArray x) {
        Fwd<Linear.Saved> h = up.forward(x);                         // [N, d] x [d, h] -> [N, h]
        Activation.Result a = Activation.RELU.forward(h.out());
        Fwd<Linear.Saved> z = down.forward(a.out());                 // [N, h] x [h, 1] -> [N, 1]
        return new Fwd<>(z.out(), new Saved(h.saved(), a.saved(), z.saved()));
    }

    /** Mean BCE-with-logits of logits z against labels: mean of softplus(z) - y z, stable for any z. */
    static double bce(double[] z, boolean[] labels) {
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            double v = z[i];
            sum += Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))) - (labels[i] ? v : 0);
        }
        return sum / z.length;
    }

    /**
     * Accumulates the gradient of coef * bce(z, labels) into the predictor's parameters:
     * dz_i = coef (sigmoid(z_i) - y_i) / N. Nothing flows back into x (stop-gradient).
     */
    void backward(Saved s, double[] z, boolean[] labels, double coef) {
        double[] dz = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            dz[i] = coef * (sigmoid(z[i]) - (labels[i] ? 1.0 : 0.0)) / z.length;
        }
        INDArray dOut = HostArrays.create(dz, s.hidden().dataType(), z.length, 1);
        INDArray dHidden = down.backward(s.down(), dOut);           // [N, 1] -> [N, h]
        up.backward(s.up(), Activation.RELU.backwardInPlace(s.hidden(), dHidden)); // its dx is dropped
    }

    /** Forward multiply-adds per token: d h + h. */
    long macsPerToken() {
        return (long) up.in() * up.out() + down.in();
    }

    static double sigmoid(double v) {
        return v >= 0 ? 1.0 / (1.0 + Math.exp(-v)) : Math.exp(v) / (1.0 + Math.exp(v));
    }
}
