package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.Views;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SoftmaxMoeTest {
    private static final int N = 8;
    private static final int D = 4;

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutCapacityDropping() {
        for (double capacity : new double[] {0.0, 0.5}) {
            for (boolean renorm : new boolean[] {true, false}) {
                ParamRegistry reg = new ParamRegistry();
                SoftmaxMoe moe = new SoftmaxMoe(reg, "ffn", D, 4, 3, 2, renorm, capacity, 0.1, 0.01,
                        Activation.RELU, 1.0);
                ParamStore store = reg.build(DataType.DOUBLE, 2);
                GradCheck.randomizeParams(store, 3, 1.5);
                INDArray x = GradCheck.random(4, N, D);
                INDArray r = GradCheck.random(5, N, D);
                Fwd<SoftmaxMoe.Saved> f = moe.forward(x);
                assertTrue(SigmaMoeTest.selectionMargin(f.saved().logits(), 2) > 1e-4, "eps cannot flip a selection");
                int routed = f.saved().routing().routedSlots();
                assertTrue(capacity == 0 ? routed == N * 2 : routed <= 4 * 2 && routed < N * 2,
                        "capacity " + capacity + ": routed " + routed);
                INDArray dx = moe.backward(f.saved(), r);
                DoubleSupplier loss = () -> {
                    Fwd<SoftmaxMoe.Saved> y = moe.forward(x);
                    return GradCheck.weightedSum(y.out(), r) + y.saved().auxLoss();
                };
                String what = "capacity " + capacity + " renorm " + renorm;
                GradCheck.check(what + " dx", x, dx, loss, 16, 1);
                GradCheck.checkAllParams(store, loss, 8);
                DirectionalGradCheck.check(what + " dx (all)", x, dx, loss, 2);
                DirectionalGradCheck.checkAllParams(store, loss);
            }
        }
    }

    /** One expert, k = 1: the gate is softmax of a single logit = 1, so the layer is the dense FFN. */
    @Test
    void oneExpertEqualsTheDenseFfn() {
        ParamRegistry reg = new ParamRegistry();
        SoftmaxMoe moe = new SoftmaxMoe(reg, "moe", D, 1, 5, 1, false, 0.0, 0.01, 0.0, Activation.GELU, 1.0);
        Ffn ffn = new Ffn(reg, "ffn", D, 5, Activation.GELU, false, Init.normal(1), Init.normal(1));
        ParamStore store = reg.build(DataType.DOUBLE, 8);
        store.value("ffn.up.weight").assign(Views.matrix(store.value("moe.up"), 0).transpose());
        store.value("ffn.down.weight").assign(Views.matrix(store.value("moe.down"), 0).transpose());
        INDArray x = GradCheck.random(1, N, D);
        Fwd<SoftmaxMoe.Saved> f = moe.forward(x);
        assertTrue(ffn.forward(x).out().equalsWithEps(f.out(), 1e-12));
        assertEquals(0.01, f.saved().auxLoss(), 1e-15, "E * f * P = 1 with one expert");
    }
}
