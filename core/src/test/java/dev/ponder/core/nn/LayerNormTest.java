package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LayerNormTest {
    @Test
    void normalisesRowsLikePyTorch() {
        ParamRegistry reg = new ParamRegistry();
        LayerNorm ln = new LayerNorm(reg, "ln", 4);
        reg.build(DataType.DOUBLE, 1);
        INDArray x = org.nd4j.linalg.factory.Nd4j.createFromArray(new double[][] {{1, 2, 3, 4}});
        INDArray y = ln.forward(x).out();
        double mean = 2.5;
        double var = (2.25 + 0.25 + 0.25 + 2.25) / 4;
        assertEquals((1 - mean) / Math.sqrt(var + 1e-5), y.getDouble(0, 0), 1e-12);
        assertEquals((4 - mean) / Math.sqrt(var + 1e-5), y.getDouble(0, 3), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ParamRegistry reg = new ParamRegistry();
        LayerNorm ln = new LayerNorm(reg, "ln", 6);
        ParamStore store = reg.build(DataType.DOUBLE, 1);
        GradCheck.randomizeParams(store, 5, 1.0);
        INDArray x = GradCheck.random(1, 4, 6).muli(3);
        INDArray r = GradCheck.random(2, 4, 6);
        INDArray rCopy = r.dup();
        INDArray dx = ln.backward(ln.forward(x).saved(), r);
        assertEquals(rCopy, r, "backward must not modify dOut");
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(ln.forward(x).out(), r), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(ln.forward(x).out(), r), 100);
    }

    /**
     * The fused float kernel against the ND4J reference path, forward and backward (outputs, saved
     * arrays, input and parameter gradients), on rows large enough to split over threads and on a
     * width slice (leading columns of wider rows, ld > d), as SHARCS passes it.
     */
    @Test
    void fusedKernelEqualsTheReferencePath() {
        for (boolean slice : new boolean[] {false, true}) {
            int d = 48;
            int n = 3001;
            ParamRegistry reg = new ParamRegistry();
            LayerNorm ln = new LayerNorm(reg, "ln", d);
            ParamStore store = reg.build(DataType.FLOAT, 1);
            GradCheck.randomizeParams(store, 7, 1.0);
            INDArray wide = GradCheck.random(3, n, slice ? 80 : d).muli(3).addi(1).castTo(DataType.FLOAT);
            INDArray x = slice ? dev.ponder.core.routing.Views.block(wide, 0, n, d) : wide;
            INDArray dy = GradCheck.random(4, n, d).castTo(DataType.FLOAT);
            assertTrue(dev.ponder.core.tensor.HostRows.available(x), "the fused path serves this input");

            Fwd<LayerNorm.Saved> fused = ln.forward(x);
            INDArray dxFused = ln.backward(fused.saved(), dy);
            INDArray dwFused = store.grad("ln.weight").dup();
            INDArray dbFused = store.grad("ln.bias").dup();
            store.zeroGrads();
            Fwd<LayerNorm.Saved> ref = ln.forwardReference(x);
            INDArray dxRef = ln.backwardReference(ref.saved(), dy);

            String what = slice ? "width slice" : "whole rows";
            assertTrue(ref.out().equalsWithEps(fused.out(), 1e-4), what + ": y");
            assertTrue(ref.saved().xhat().equalsWithEps(fused.saved().xhat(), 1e-4), what + ": xhat");
            assertTrue(ref.saved().rstd().equalsWithEps(fused.saved().rstd(), 1e-4), what + ": rstd");
            assertTrue(dxRef.equalsWithEps(dxFused, 1e-4), what + ": dx");
            assertTrue(store.grad("ln.weight").equalsWithEps(dwFused, 2e-2), what + ": dweight");
            assertTrue(store.grad("ln.bias").equalsWithEps(dbFused, 2e-2), what + ": dbias");
            assertTrue(dbFused.norm2Number().doubleValue() > 1, "gradients are not trivially zero");
        }
    }

    /**
     * The fused residual forms: forwardAdding (x += r, then LN) and backwardAdding (dx accumulated
     * into the residual gradient) against the plain calls, on the host kernel and the reference.
     */
    @Test
    void residualFormsEqualAddThenNorm() {
        int d = 40;
        int n = 700;
        ParamRegistry reg = new ParamRegistry();
        LayerNorm ln = new LayerNorm(reg, "ln", d);
        ParamStore store = reg.build(DataType.FLOAT, 1);
        GradCheck.randomizeParams(store, 9, 1.0);
        INDArray x0 = GradCheck.random(5, n, d).castTo(DataType.FLOAT);
        INDArray r = GradCheck.random(6, n, d).castTo(DataType.FLOAT);
        INDArray dy = GradCheck.random(7, n, d).castTo(DataType.FLOAT);
        INDArray acc0 = GradCheck.random(8, n, d).castTo(DataType.FLOAT);

        INDArray x = x0.dup();
        Fwd<LayerNorm.Saved> fused = ln.forwardAdding(x, r);
        INDArray acc = acc0.dup();
        ln.backwardAdding(fused.saved(), dy, acc);
        INDArray dw = store.grad("ln.weight").dup();
        store.zeroGrads();

        INDArray sum = x0.add(r);
        Fwd<LayerNorm.Saved> plain = ln.forward(sum);
        INDArray want = acc0.add(ln.backward(plain.saved(), dy));
        assertTrue(sum.equalsWithEps(x, 1e-6), "x holds x + r");
        assertTrue(plain.out().equalsWithEps(fused.out(), 1e-5), "y");
        assertTrue(want.equalsWithEps(acc, 1e-5), "accumulated dx");
        assertTrue(store.grad("ln.weight").equalsWithEps(dw, 1e-4), "dweight");
        store.zeroGrads();

        INDArray ref = acc0.add(ln.backwardReference(ln.forwardReference(x0.add(r)).saved(), dy));
        assertTrue(ref.equalsWithEps(acc, 1e-4), "against the ND4J reference");
        INDArray y = x0.dup();
        LayerNorm.addInPlace(y, r);
        assertTrue(sum.equalsWithEps(y, 1e-6), "addInPlace");
    }
}
