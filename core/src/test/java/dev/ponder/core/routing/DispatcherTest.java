package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import dev.ponder.core.nn.Fwd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DispatcherTest {
    private static final int ROWS = 9;
    private static final int K = 2;
    private static final int E = 4;

    /** Slot s reads row s / K and writes a shuffled output row (as SwitchHead's permuted layouts do). */
    private static int inRow(int s) {
        return s / K;
    }

    private static int outRow(int s) {
        return (s * 7) % 5;                                   // several slots per output row, out of order
    }

    @Test
    void fastPathMatchesPerSlotReferenceForBothGateSides() {
        for (int[] ab : new int[][] {{3, 5}, {5, 3}}) {          // gate on the input side, then the output side
            DispatchFixture f = new DispatchFixture(ROWS, K, E, 11, true);
            INDArray x = GradCheck.random(1, ROWS, ab[0]);
            INDArray w = GradCheck.random(2, E, ab[0], ab[1]);
            INDArray dOut = GradCheck.random(3, 5, ab[1]);
            INDArray dw = Nd4j.zeros(w.dataType(), w.shape());
            DispatchPlan p = DispatchPlan.of(f.routing(), DispatcherTest::inRow, ROWS, DispatcherTest::outRow, 5);
            Fwd<Dispatcher.Saved> fwd = Dispatcher.forward(p, x, w);
            Dispatcher.Grads g = Dispatcher.backward(fwd.saved(), w, dw, dOut);
            int[] in = new int[f.experts.length];
            int[] out = new int[f.experts.length];
            for (int s = 0; s < in.length; s++) {
                in[s] = inRow(s);
                out[s] = outRow(s);
            }
            DispatchReference.Result ref = DispatchReference.linear(x.toDoubleMatrix(), DispatchFixture.toArray3(w),
                    f.experts, HostArrays.read(f.gates), in, out, 5, dOut.toDoubleMatrix());
            String side = ab[0] <= ab[1] ? "input-gated" : "output-gated";
            DispatchFixture.assertClose(ref.out(), fwd.out(), side + " out");
            DispatchFixture.assertClose(ref.dInput(), g.dInput(), side + " dInput");
            DispatchFixture.assertClose(ref.dGates(), g.dGates(), side + " dGates");
            DispatchFixture.assertClose(ref.dW1(), dw, side + " dW");
            assertEquals((long) f.routing().routedSlots() * ab[0] * ab[1], fwd.saved().macs(), "only routed slots run");
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        DispatchFixture f = new DispatchFixture(ROWS, K, E, 5, true);
        INDArray x = GradCheck.random(1, ROWS, 4);
        INDArray w = GradCheck.random(2, E, 4, 3);
        INDArray r = GradCheck.random(3, 5, 3);
        INDArray dw = Nd4j.zeros(w.dataType(), w.shape());
        DispatchPlan p = DispatchPlan.of(f.routing(), DispatcherTest::inRow, ROWS, DispatcherTest::outRow, 5);
        Dispatcher.Grads g = Dispatcher.backward(Dispatcher.forward(p, x, w).saved(), w, dw, r);
        java.util.function.DoubleSupplier loss = () -> GradCheck.weightedSum(Dispatcher.forward(
                DispatchPlan.of(f.routing(), DispatcherTest::inRow, ROWS, DispatcherTest::outRow, 5), x, w).out(), r);
        GradCheck.check("dInput", x, g.dInput(), loss, 100, 1);
        GradCheck.check("dW", w, dw, loss, 100, 2);
        GradCheck.check("dGates", f.gates, g.dGates(), loss, 100, 3);
    }

    @Test
    void emptyRoutingGivesZeros() {
        INDArray gates = GradCheck.random(1, 3, 1);
        Routing r = Routing.of(gates, new int[] {-1, -1, -1}, 2);
        DispatchPlan p = DispatchPlan.contiguous(r, 3, 3);
        INDArray w = GradCheck.random(2, 2, 4, 4);
        Fwd<Dispatcher.Saved> fwd = Dispatcher.forward(p, GradCheck.random(3, 3, 4), w);
        assertEquals(0.0, fwd.out().sumNumber().doubleValue());
        assertEquals(0L, fwd.saved().macs());
        Dispatcher.Grads g = Dispatcher.backward(fwd.saved(), w, Nd4j.zeros(w.dataType(), w.shape()),
                GradCheck.random(4, 3, 4));
        assertEquals(0.0, g.dInput().sumNumber().doubleValue());
    }
}
