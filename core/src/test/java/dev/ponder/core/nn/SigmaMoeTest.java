package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.routing.Views;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SigmaMoeTest {
    private static final int N = 7;
    private static final int D = 5;

    /** Smallest gap between the k-th and (k+1)-th logit of any row: selections cannot flip below it. */
    static double selectionMargin(INDArray logits, int k) {
        double[] z = HostArrays.read(logits);
        int e = (int) logits.size(1);
        double margin = Double.MAX_VALUE;
        for (int r = 0; r < logits.size(0); r++) {
            double[] row = java.util.Arrays.copyOfRange(z, r * e, (r + 1) * e);
            java.util.Arrays.sort(row);
            margin = Math.min(margin, row[e - k] - row[e - k - 1]);
        }
        return margin;
    }

    @Test
    void referenceNamesShapesAndRouterRenorm() {
        ParamRegistry reg = new ParamRegistry();
        SigmaMoe moe = new SigmaMoe(reg, "ffn", D, 6, 3, 2, 0.0, 1.0);
        ParamStore store = reg.build(DataType.DOUBLE, 1);
        assertArrayEquals(new long[] {6, D, 3}, store.layout().spec("ffn.keys").shape());
        assertArrayEquals(new long[] {6, 3, D}, store.layout().spec("ffn.values").shape());
        assertArrayEquals(new long[] {6, D}, store.layout().spec("ffn.expert_sel").shape());
        moe.renormRouter();
        INDArray sel = store.value("ffn.expert_sel");
        double n0 = sel.getRow(0).norm2Number().doubleValue();
        for (int r = 1; r < 6; r++) {
            assertEquals(n0, sel.getRow(r).norm2Number().doubleValue(), 1e-12, "rows share one norm");
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesIncludingTheRegulariserHook() {
        ParamRegistry reg = new ParamRegistry();
        SigmaMoe moe = new SigmaMoe(reg, "ffn", D, 6, 3, 2, 0.0, 1.0);
        ParamStore store = reg.build(DataType.DOUBLE, 2);
        GradCheck.randomizeParams(store, 3, 1.0);
        INDArray x = GradCheck.random(4, N, D);
        INDArray sel = GradCheck.random(5, N, D).muli(2);
        INDArray r = GradCheck.random(6, N, D);
        INDArray rz = GradCheck.random(7, N, 6);
        Fwd<SigmaMoe.Saved> f = moe.forward(x, sel, true, null);
        assertTrue(selectionMargin(f.saved().logits(), 2) > 1e-4, "eps cannot flip a selection");
        SigmaMoe.Grads g = moe.backward(f.saved(), r, rz);
        DoubleSupplier loss = () -> {
            Fwd<SigmaMoe.Saved> y = moe.forward(x, sel, true, null);
            return GradCheck.weightedSum(y.out(), r) + GradCheck.weightedSum(y.saved().logits(), rz);
        };
        GradCheck.check("dx", x, g.dx(), loss, 100, 1);
        GradCheck.check("dSel", sel, g.dSelInput(), loss, 100, 2);
        GradCheck.checkAllParams(store, loss, 40);
        DirectionalGradCheck.checkAllParams(store, loss);
    }

    /** MoE with one expert (k = 1) equals the dense FFN times the gate sigmoid(z), the σ-MoE's gate. */
    @Test
    void oneExpertEqualsTheDenseFfnTimesItsGate() {
        ParamRegistry reg = new ParamRegistry();
        SigmaMoe moe = new SigmaMoe(reg, "moe", D, 1, 4, 1, 0.0, 1.0);
        Ffn ffn = new Ffn(reg, "ffn", D, 4, Activation.RELU, false, Init.normal(1), Init.normal(1));
        ParamStore store = reg.build(DataType.DOUBLE, 8);
        store.value("ffn.up.weight").assign(Views.matrix(store.value("moe.keys"), 0).transpose());
        store.value("ffn.down.weight").assign(Views.matrix(store.value("moe.values"), 0).transpose());
        INDArray x = GradCheck.random(1, N, D);
        INDArray sel = GradCheck.random(2, N, D);
        INDArray gate = org.nd4j.linalg.ops.transforms.Transforms.sigmoid(sel.mmul(store.value("moe.expert_sel").transpose()));
        INDArray expected = ffn.forward(x).out().mulColumnVector(gate);
        assertTrue(expected.equalsWithEps(moe.forward(x, sel, false, null).out(), 1e-12));
        assertEquals(N * 2L * D * 4, moe.forward(x, sel, false, null).saved().executedMacs(), "k = 1: every token once");
    }
}
