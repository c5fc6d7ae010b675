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

    /** Expert biases: b1 before the activation, g * b2 after; every gradient by finite differences. */
    @Test
    void expertBiasesMatchAPerSlotLoopAndFiniteDifferences() {
        DispatchFixture f = new DispatchFixture(ROWS, K, E, 9, true);
        INDArray x = GradCheck.random(1, ROWS, D);
        INDArray w1 = GradCheck.random(2, E, D, M);
        INDArray w2 = GradCheck.random(3, E, M, D);
        INDArray b1 = GradCheck.random(5, E, M);
        INDArray b2 = GradCheck.random(6, E, D);
        INDArray r = GradCheck.random(4, ROWS, D);
        java.util.function.Supplier<Fwd<ExpertMlp.Saved>> fwd = () -> ExpertMlp.forward(
                DispatchPlan.contiguous(f.routing(), ROWS, ROWS), x, w1, b1, w2, b2, Activation.GELU);
        INDArray out = fwd.get().out();
        // per-slot loop: g (gelu(x W1[e] + b1[e]) W2[e] + b2[e])
        double[] gates = HostArrays.read(f.gates);
        for (int row = 0; row < ROWS; row++) {
            double[] expected = new double[D];
            for (int j = 0; j < K; j++) {
                int e = f.experts[row * K + j];
                if (e < 0) {
                    continue;
                }
                double[] h = new double[M];
                for (int c = 0; c < M; c++) {
                    double v = b1.getDouble(e, c);
                    for (int i = 0; i < D; i++) {
                        v += x.getDouble(row, i) * w1.getDouble(e, i, c);
                    }
                    h[c] = Activation.GELU.forward(Nd4j.scalar(v)).out().getDouble(0);
                }
                for (int o = 0; o < D; o++) {
                    double y = b2.getDouble(e, o);
                    for (int c = 0; c < M; c++) {
                        y += h[c] * w2.getDouble(e, c, o);
                    }
                    expected[o] += gates[row * K + j] * y;
                }
            }
            for (int o = 0; o < D; o++) {
                assertEquals(expected[o], out.getDouble(row, o), 1e-11, "out [" + row + ", " + o + "]");
            }
        }
        INDArray dw1 = Nd4j.zeros(x.dataType(), E, D, M);
        INDArray dw2 = Nd4j.zeros(x.dataType(), E, M, D);
        INDArray db1 = Nd4j.zeros(x.dataType(), E, M);
        INDArray db2 = Nd4j.zeros(x.dataType(), E, D);
        Dispatcher.Grads g = ExpertMlp.backward(fwd.get().saved(), w1, dw1, db1, w2, dw2, db2, Activation.GELU, r);
        java.util.function.DoubleSupplier loss = () -> GradCheck.weightedSum(fwd.get().out(), r);
        GradCheck.check("dx", x, g.dInput(), loss, 100, 1);
        GradCheck.check("dW1", w1, dw1, loss, 100, 2);
        GradCheck.check("dW2", w2, dw2, loss, 100, 3);
        GradCheck.check("db1", b1, db1, loss, 100, 5);
        GradCheck.check("db2", b2, db2, loss, 100, 6);
        GradCheck.check("dGates", f.gates, g.dGates(), loss, 100, 4);
    }
}
