package dev.ponder.core.width;

import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.Linear;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SHARCS width router (MODELS.md section 3, the reference's BertOutputWithRouter.router):
 * Linear(d, hidden) -> ReLU -> Linear(hidden, |W|) on the causally pooled hidden states of the layer
 * before the first sliced one ({@link CausalPool}). Parameters "{name}.fc1.{weight,bias}" and
 * "{name}.fc2.{weight,bias}", initialised like PyTorch's nn.Linear (weight and bias
 * U(+-1/sqrt(fan_in))), as the reference's nn.Sequential is.
 */
public final class WidthRouter {
    private final Linear fc1;
    private final Linear fc2;
    private final CausalPool.Mode mode;
    private final int prefix;
    private final int widths;

    public WidthRouter(ParamRegistry reg, String name, int dim, int hidden, int widths, CausalPool.Mode mode,
                       int prefix) {
        this.fc1 = linear(reg, name + ".fc1", dim, hidden);
        this.fc2 = linear(reg, name + ".fc2", hidden, widths);
        this.mode = mode;
        this.prefix = prefix;
        this.widths = widths;
    }

    private static Linear linear(ParamRegistry reg, String name, int in, int out) {
        Init init = Init.uniform(1.0 / Math.sqrt(in));
        return new Linear(name, reg.add(name + ".weight", init, out, in), reg.add(name + ".bias", init, false, out));
    }

    public CausalPool.Mode mode() {
        return mode;
    }

    /** Forward multiply-adds of one routed row (pooling excluded: an average, not a matmul of weights). */
    public long macsPerRow() {
        return (long) fc1.in() * fc1.out() + (long) fc2.in() * fc2.out();
    }

    /** Pooling, the hidden activation and the two linears' saved inputs. */
    public record Saved(CausalPool.Saved pool, Linear.Saved fc1, INDArray act, Linear.Saved fc2) {}

    /** h [B*T, d] -> logits [B*R, |W|] (R = 1 for prefix pooling, T for per-token). */
    public Fwd<Saved> forward(INDArray h, int b, int t) {
        CausalPool.Pooled p = CausalPool.forward(mode, prefix, h, b, t);   // [B*R, d]
        Fwd<Linear.Saved> z1 = fc1.forward(p.out());                       // [B*R, d] x [d, hidden] -> [B*R, hidden]
        Activation.Result a = Activation.RELU.forward(z1.out());
        Fwd<Linear.Saved> z2 = fc2.forward(a.out());                       // [B*R, hidden] x [hidden, |W|] -> [B*R, |W|]
        return new Fwd<>(z2.out(), new Saved(p.saved(), z1.saved(), a.saved(), z2.saved()));
    }

    /** dLogits [B*R, |W|] -> dh [B*T, d]; accumulates the router's parameter gradients. */
    public INDArray backward(Saved s, INDArray dLogits) {
        INDArray dAct = fc2.backward(s.fc2(), dLogits);                    // [B*R, hidden]
        INDArray dz1 = Activation.RELU.backwardInPlace(s.act(), dAct);
        return CausalPool.backward(s.pool(), fc1.backward(s.fc1(), dz1));
    }

    public int widths() {
        return widths;
    }
}
