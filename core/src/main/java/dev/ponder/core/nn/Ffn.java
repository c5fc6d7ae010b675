package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Position-wise feed-forward: y = W2 act(W1 x (+ b1)) (+ b2), x [N, d] -> [N, d], hidden d_ff.
 * Parameters "{name}.up.weight" [d_ff, d] and "{name}.down.weight" [d, d_ff] (+ biases).
 */
public final class Ffn {
    private final Linear up;
    private final Linear down;
    private final Activation activation;

    public Ffn(ParamRegistry reg, String name, int dim, int hidden, Activation activation, boolean withBias,
               Init upInit, Init downInit) {
        this.up = new Linear(reg, name + ".up", dim, hidden, withBias, upInit);
        this.down = new Linear(reg, name + ".down", hidden, dim, withBias, downInit);
        this.activation = activation;
    }

    public record Saved(Linear.Saved up, INDArray act, Linear.Saved down) {}

    public Linear up() {
        return up;
    }

    public Linear down() {
        return down;
    }

    /** x [N, d] -> [N, d]. */
    public Fwd<Saved> forward(INDArray x) {
        Fwd<Linear.Saved> h = up.forward(x);                   // [N, d] x [d, d_ff] -> [N, d_ff]
        Activation.Result a = activation.forward(h.out());
        Fwd<Linear.Saved> y = down.forward(a.out());           // [N, d_ff] x [d_ff, d] -> [N, d]
        return new Fwd<>(y.out(), new Saved(h.saved(), a.saved(), y.saved()));
    }

    /** dy [N, d] -> dx [N, d]. */
    public INDArray backward(Saved s, INDArray dy) {
        INDArray dAct = down.backward(s.down(), dy);           // [N, d_ff] (a fresh array)
        INDArray dh = activation.backwardInPlace(s.act(), dAct);
        return up.backward(s.up(), dh);
    }
}
