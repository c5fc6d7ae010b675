package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LinearTest {
    @Test
    void forwardMatchesHandComputation() {
        ParamRegistry reg = new ParamRegistry();
        Linear lin = new Linear(reg, "lin", 2, 3, true, Init.zeros());
        ParamStore store = reg.build(DataType.DOUBLE, 1);
        store.value("lin.weight").assign(org.nd4j.linalg.factory.Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}, {5, 6}}));
        store.value("lin.bias").assign(org.nd4j.linalg.factory.Nd4j.createFromArray(new double[] {0.5, -1, 2}));
        INDArray x = org.nd4j.linalg.factory.Nd4j.createFromArray(new double[][] {{1, -1}});
        INDArray y = lin.forward(x).out();
        assertEquals(1 - 2 + 0.5, y.getDouble(0, 0), 1e-12);
        assertEquals(3 - 4 - 1, y.getDouble(0, 1), 1e-12);
        assertEquals(5 - 6 + 2, y.getDouble(0, 2), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ParamRegistry reg = new ParamRegistry();
        Linear lin = new Linear(reg, "lin", 5, 4, true, Init.normal(0.5));
        ParamStore store = reg.build(DataType.DOUBLE, 7);
        GradCheck.randomizeParams(store, 3, 0.7);
        INDArray x = GradCheck.random(1, 6, 5);
        INDArray r = GradCheck.random(2, 6, 4);
        INDArray dx = lin.backward(lin.forward(x).saved(), r);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(lin.forward(x).out(), r), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(lin.forward(x).out(), r), 100);
    }

    @Test
    void backwardAccumulatesAcrossCalls() {
        ParamRegistry reg = new ParamRegistry();
        Linear lin = new Linear(reg, "lin", 3, 2, true, Init.normal(0.5));
        ParamStore store = reg.build(DataType.DOUBLE, 7);
        INDArray x = GradCheck.random(1, 4, 3);
        INDArray r = GradCheck.random(2, 4, 2);
        lin.backward(lin.forward(x).saved(), r);
        INDArray once = store.grads().dup();
        lin.backward(lin.forward(x).saved(), r);
        assertTrue(store.grads().equalsWithEps(once.mul(2), 1e-12));
    }

    @Test
    void slicedWidthUsesLeadingBlockAndItsGradients() {
        ParamRegistry reg = new ParamRegistry();
        Linear lin = new Linear(reg, "lin", 6, 5, true, Init.normal(0.5));
        ParamStore store = reg.build(DataType.DOUBLE, 11);
        GradCheck.randomizeParams(store, 4, 0.7);
        INDArray x = GradCheck.random(1, 3, 4);
        INDArray r = GradCheck.random(2, 3, 2);
        INDArray dx = lin.backward(lin.forward(x, 4, 2).saved(), r);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(lin.forward(x, 4, 2).out(), r), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(lin.forward(x, 4, 2).out(), r), 100);
        // Outside the leading block nothing moves.
        assertEquals(0.0, store.grad("lin.weight").get(NDArrayIndex.interval(2, 5), NDArrayIndex.all())
                .sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, store.grad("lin.bias").get(NDArrayIndex.interval(2, 5)).sumNumber().doubleValue(), 0.0);
    }
}
