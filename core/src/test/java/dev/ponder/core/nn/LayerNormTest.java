package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
