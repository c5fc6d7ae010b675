package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Fwd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ExpertMlpTest {
    private static final int ROWS = 8;
    private static final int K = 3;
    private static final int E = 5;
    private static final int D = 4;
    private static final int M = 3;

    @Test
    void fastPathMatchesPerSlotReference() {
        DispatchFixture f = new DispatchFixture(ROWS, K, E, 21, true);
        INDArray x = GradCheck.random(1, ROWS, D);
        INDArray w1 = GradCheck.random(2, E, D, M);
        INDArray w2 = GradCheck.random(3, E, M, D);
        INDArray dOut = GradCheck.random(4, ROWS, D);
        INDArray dw1 = Nd4j.zeros(x.dataType(), E, D, M);
        INDArray dw2 = Nd4j.zeros(x.dataType(), E, M, D);
        DispatchPlan p = DispatchPlan.contiguous(f.routing(), ROWS, ROWS);
        Fwd<ExpertMlp.Saved> fwd = ExpertMlp.forward(p, x, w1, w2, Activation.RELU);
        Dispatcher.Grads g = ExpertMlp.backward(fwd.saved(), w1, dw1, w2, dw2, Activation.RELU, dOut);
        int[] rows = new int[ROWS * K];
        for (int s = 0; s < rows.length; s++) {
            rows[s] = s / K;
        }
        DispatchReference.Result ref = DispatchReference.mlp(x.toDoubleMatrix(), DispatchFixture.toArray3(w1),
                DispatchFixture.toArray3(w2), true, f.experts, HostArrays.read(f.gates), rows, rows, ROWS,
                dOut.toDoubleMatrix());
        DispatchFixture.assertClose(ref.out(), fwd.out(), "out");
        DispatchFixture.assertClose(ref.dInput(), g.dInput(), "dInput");
        DispatchFixture.assertClose(ref.dGates(), g.dGates(), "dGates");
        DispatchFixture.assertClose(ref.dW1(), dw1, "dW1");
        DispatchFixture.assertClose(ref.dW2(), dw2, "dW2");
        assertEquals((long) f.routing().routedSlots() * 2 * D * M, fwd.saved().macs(), "only routed slots run");
    }

    @Test
    void reluAndGeluGradientsMatchFiniteDifferences() {
        for (Activation act : Activation.values()) {
            DispatchFixture f = new DispatchFixture(ROWS, K, E, 7, true);
            INDArray x = GradCheck.random(1, ROWS, D);
            INDArray w1 = GradCheck.random(2, E, D, M);
            INDArray w2 = GradCheck.random(3, E, M, D);
            INDArray r = GradCheck.random(4, ROWS, D);
            INDArray dw1 = Nd4j.zeros(x.dataType(), E, D, M);
            INDArray dw2 = Nd4j.zeros(x.dataType(), E, M, D);
            DispatchPlan p = DispatchPlan.contiguous(f.routing(), ROWS, ROWS);
            Dispatcher.Grads g = ExpertMlp.backward(ExpertMlp.forward(p, x, w1, w2, act).saved(), w1, dw1, w2, dw2,
                    act, r);
            java.util.function.DoubleSupplier loss = () -> GradCheck.weightedSum(ExpertMlp.forward(
                    DispatchPlan.contiguous(f.routing(), ROWS, ROWS), x, w1, w2, act).out(), r);
            GradCheck.check(act + " dx", x, g.dInput(), loss, 100, 1);
            GradCheck.check(act + " dW1", w1, dw1, loss, 100, 2);
            GradCheck.check(act + " dW2", w2, dw2, loss, 100, 3);
            GradCheck.check(act + " dGates", f.gates, g.dGates(), loss, 100, 4);
        }
    }
}
