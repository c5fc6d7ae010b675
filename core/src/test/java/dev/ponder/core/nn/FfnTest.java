package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FfnTest {
    @Test
    void geluIsTheExactErfForm() {
        INDArray h = Nd4j.createFromArray(new double[] {-1, 0.5, 1, 2});
        INDArray a = Activation.GELU.forward(h).out();
        // 0.5 x (1 + erf(x / sqrt 2)), reference values from a high-precision erf
        assertEquals(-0.15865525393145707, a.getDouble(0), 1e-12);
        assertEquals(0.34573123063700656, a.getDouble(1), 1e-12);
        assertEquals(0.8413447460685429, a.getDouble(2), 1e-12);
        assertEquals(1.9544997361036416, a.getDouble(3), 1e-12);
    }

    @Test
    void reluAndGeluGradientsMatchFiniteDifferences() {
        for (Activation act : Activation.values()) {
            for (boolean bias : new boolean[] {false, true}) {
                ParamRegistry reg = new ParamRegistry();
                Ffn ffn = new Ffn(reg, "ffn", 5, 7, act, bias, Init.normal(0.5), Init.normal(0.5));
                ParamStore store = reg.build(DataType.DOUBLE, 3);
                GradCheck.randomizeParams(store, 6, 0.8);
                INDArray x = GradCheck.random(1, 6, 5);
                INDArray r = GradCheck.random(2, 6, 5);
                INDArray dx = ffn.backward(ffn.forward(x).saved(), r);
                GradCheck.check(act + " dx", x, dx, () -> GradCheck.weightedSum(ffn.forward(x).out(), r), 100, 1);
                GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(ffn.forward(x).out(), r), 100);
            }
        }
    }
}
