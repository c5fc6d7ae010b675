package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.Views;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SwitchHeadAttentionTest {
    private static final int B = 2;
    private static final int T = 4;
    private static final int D = 6;
    private static final int H = 2;
    private static final int DH = 4;

    private record Setup(SwitchHeadAttention att, ParamStore store) {}

    private static Setup setup(int experts, int k) {
        ParamRegistry reg = new ParamRegistry();
        SwitchHeadAttention att = new SwitchHeadAttention(reg, "att", D, H, DH, experts, k, 0.0, 1.0);
        ParamStore store = reg.build(DataType.DOUBLE, 5);
        GradCheck.randomizeParams(store, 9, 0.8);
        return new Setup(att, store);
    }

    private static double[][][] experts(INDArray w) {
        double[][][] out = new double[(int) w.size(0)][][];
        for (int e = 0; e < out.length; e++) {
            out[e] = Views.matrix(w, e).toDoubleMatrix();
        }
        return out;
    }

    @Test
    void parameterNamesAndShapesAreTheReferences() {
        ParamStore s = setup(3, 2).store();
        assertArrayEquals(new long[] {H * DH, D}, s.layout().spec("att.q.weight").shape());
        assertArrayEquals(new long[] {H * DH, D}, s.layout().spec("att.k.weight").shape());
        assertArrayEquals(new long[] {H * 3, D, DH}, s.layout().spec("att.v").shape());
        assertArrayEquals(new long[] {H * 3, DH, D}, s.layout().spec("att.o").shape());
        assertArrayEquals(new long[] {H * 3, D}, s.layout().spec("att.sel_v").shape());
        assertArrayEquals(new long[] {H * 3, D}, s.layout().spec("att.sel_o").shape());
        ParamStore dense = setup(1, 1).store();
        assertArrayEquals(new long[] {H * DH, D}, dense.layout().spec("att.v").shape());
        assertArrayEquals(new long[] {D, H * DH}, dense.layout().spec("att.o").shape());
        assertArrayEquals(new long[] {H, D}, dense.layout().spec("att.sel_o").shape());
        assertTrue(!dense.layout().contains("att.sel_v"));
    }

    @Test
    void matchesTheLoopReferenceWithExpertsAndDense() {
        for (int experts : new int[] {4, 1}) {
            Setup s = setup(experts, experts > 1 ? 2 : 1);
            ParamStore p = s.store();
            INDArray x = GradCheck.random(1, B * T, D).muli(2);
            INDArray xn = GradCheck.random(2, B * T, D);
            INDArray fast = s.att().forward(xn, x, B, T, false, null).out();
            INDArray q = p.value("att.q.weight");
            INDArray k = p.value("att.k.weight");
            double[][] ref = experts > 1
                    ? SwitchHeadReference.forward(xn.toDoubleMatrix(), x.toDoubleMatrix(), B, T, H, DH, experts, 2,
                            q.toDoubleMatrix(), k.toDoubleMatrix(), experts(p.value("att.v")), experts(p.value("att.o")),
                            null, null, p.value("att.sel_v").toDoubleMatrix(), p.value("att.sel_o").toDoubleMatrix())
                    : SwitchHeadReference.forward(xn.toDoubleMatrix(), x.toDoubleMatrix(), B, T, H, DH, 1, 1,
                            q.toDoubleMatrix(), k.toDoubleMatrix(), null, null, p.value("att.v").toDoubleMatrix(),
                            p.value("att.o").toDoubleMatrix(), null, p.value("att.sel_o").toDoubleMatrix());
            for (int i = 0; i < B * T; i++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(ref[i][c], fast.getDouble(i, c), 1e-12, "E " + experts + " [" + i + ", " + c + "]");
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesWithExpertsAndDense() {
        for (int experts : new int[] {3, 1}) {
            Setup s = setup(experts, experts > 1 ? 2 : 1);
            INDArray x = GradCheck.random(3, B * T, D);
            INDArray xn = GradCheck.random(4, B * T, D);
            INDArray r = GradCheck.random(5, B * T, D);
            INDArray rv = GradCheck.random(6, B * T, H * experts);
            INDArray ro = GradCheck.random(7, B * T, H * experts);
            SwitchHeadAttention.Saved saved = s.att().forward(xn, x, B, T, true, null).saved();
            // the regulariser's extra logit gradients are added as given: test them with a linear term
            SwitchHeadAttention.Grads g = s.att().backward(saved, r, experts > 1 ? rv : null, experts > 1 ? ro : null);
            DoubleSupplier loss = () -> {
                Fwd<SwitchHeadAttention.Saved> f = s.att().forward(xn, x, B, T, true, null);
                double extra = experts > 1 ? GradCheck.weightedSum(f.saved().logitsV(), rv)
                        + GradCheck.weightedSum(f.saved().logitsO(), ro) : 0;
                return GradCheck.weightedSum(f.out(), r) + extra;
            };
            GradCheck.check("E " + experts + " dx", x, g.dx(), loss, 12, 1);
            GradCheck.check("E " + experts + " dxn", xn, g.dxn(), loss, 12, 2);
            GradCheck.checkAllParams(s.store(), loss, 4);
            DirectionalGradCheck.check("E " + experts + " dx (all entries)", x, g.dx(), loss, 3);
            DirectionalGradCheck.checkAllParams(s.store(), loss);
        }
    }

    @Test
    void isCausal() {
        Setup s = setup(3, 2);
        INDArray x = GradCheck.random(1, B * T, D);
        INDArray xn = GradCheck.random(2, B * T, D);
        INDArray before = s.att().forward(xn, x, B, T, false, null).out();
        x.putScalar(new long[] {T - 1, 0}, 50.0);
        xn.putScalar(new long[] {T - 1, 1}, 50.0);
        INDArray after = s.att().forward(xn, x, B, T, false, null).out();
        assertEquals(before.get(NDArrayIndex.interval(0, T - 1), NDArrayIndex.all()),
                after.get(NDArrayIndex.interval(0, T - 1), NDArrayIndex.all()));
        assertEquals(before.get(NDArrayIndex.interval(T, 2 * T), NDArrayIndex.all()),
                after.get(NDArrayIndex.interval(T, 2 * T), NDArrayIndex.all()));
    }
}
