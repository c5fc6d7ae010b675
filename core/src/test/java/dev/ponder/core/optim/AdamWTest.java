package dev.ponder.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class AdamWTest {
    @Test
    void twoStepsMatchHandComputation() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("w", Init.zeros(), 2, 2);          // matrix: decayed
        reg.add("b", Init.zeros(), 2);             // vector: not decayed
        ParamStore store = reg.build(DataType.DOUBLE, 1);
        double[] p = {0.5, -1.0, 2.0, 0.25, 1.5, -0.75};
        double[][] grads = {{0.1, -0.2, 0.3, 0.0, 1.0, -4.0}, {-0.3, 0.2, 0.1, 0.05, -1.0, 2.0}};
        double[] lrs = {0.01, 0.005};
        boolean[] decayed = {true, true, true, true, false, false};
        AdamW.Config cfg = new AdamW.Config(0.9, 0.99, 1e-8, 0.1);
        store.params().assign(Nd4j.createFromArray(p));
        AdamW opt = new AdamW(store, cfg);

        double[] m = new double[6];
        double[] v = new double[6];
        double[] expected = p.clone();
        for (int step = 0; step < 2; step++) {
            store.grads().assign(Nd4j.createFromArray(grads[step]));
            opt.step(lrs[step]);
            int t = step + 1;
            double alpha = lrs[step] * Math.sqrt(1 - Math.pow(0.99, t)) / (1 - Math.pow(0.9, t));
            for (int i = 0; i < 6; i++) {
                if (decayed[i]) {
                    expected[i] *= 1 - lrs[step] * 0.1;
                }
                double g = grads[step][i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.99 * v[i] + 0.01 * g * g;
                expected[i] -= alpha * m[i] / (Math.sqrt(v[i]) + 1e-8);
            }
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[i], store.params().getDouble(i), 1e-12, "step " + t + " param " + i);
                assertEquals(m[i], opt.state().getDouble(i), 1e-12, "m " + i);
                assertEquals(v[i], opt.state().getDouble(6 + i), 1e-12, "v " + i);
            }
        }
        assertEquals(2, opt.stepCount());
    }

    @Test
    void stateRoundTripsThroughFloatArrays() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("w", Init.normal(1), 3, 3);
        ParamStore store = reg.build(DataType.FLOAT, 1);
        AdamW opt = new AdamW(store, AdamW.Config.defaults());
        store.grads().assign(1.5);
        opt.step(1e-3);
        float[] state = new float[18];
        opt.copyStateTo(state);
        assertEquals(0.15f, state[0], 1e-6f);
        AdamW other = new AdamW(store, AdamW.Config.defaults());
        other.copyStateFrom(state);
        other.setStepCount(opt.stepCount());
        assertEquals(opt.state(), other.state());
        assertEquals(1, other.stepCount());
    }
}
