package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Position-wise feed-forward: y = W2 act(W1 x (+ b1)) (+ b2), x [N, d] -> [N, d], hidden d_ff.
 * Parameters "{name}.up.weight" [d_ff, d] and "{name}.down.weight" [d, d_ff] (+ biases).
 * Width slicing (SHARCS): {@link #forward(INDArray, int)} runs the leading hidden units on the
 * input's leading columns, x [N, dW] -> [N, dW] through W1[:hW, :dW] and W2[:dW, :hW].
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
        return forward(x, up.out());
    }

    /** Width slice: x [N, dW] -> [N, dW] with the leading {@code hidden} hidden units. */
    public Fwd<Saved> forward(INDArray x, int hidden) {
        int dW = (int) x.size(1);
        Fwd<Linear.Saved> h = up.forward(x, dW, hidden);       // [N, dW] x [dW, hW] -> [N, hW]
        Activation.Result a = activation.forward(h.out());
        Fwd<Linear.Saved> y = down.forward(a.out(), hidden, dW); // [N, hW] x [hW, dW] -> [N, dW]
        return new Fwd<>(y.out(), new Saved(h.saved(), a.saved(), y.saved()));
    }

    /** dy [N, dW] -> dx [N, dW]. */
    public INDArray backward(Saved s, INDArray dy) {
        INDArray dAct = down.backward(s.down(), dy);           // [N, d_ff] (a fresh array)
        INDArray dh = activation.backwardInPlace(s.act(), dAct);
        return up.backward(s.up(), dh);
    }
}
