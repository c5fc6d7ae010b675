package dev.ponder.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /**
     * The fused float pass against the ND4J updater path over three steps: interleaved decayed and
     * undecayed tensors (decay runs that start and end inside the threads' chunks), enough
     * parameters for the split over threads.
     */
    @Test
    void fusedFloatStepEqualsTheReferencePath() {
        AdamW.Config cfg = new AdamW.Config(0.9, 0.99, 1e-8, 0.1);
        ParamStore[] stores = new ParamStore[2];
        AdamW[] opts = new AdamW[2];
        for (int k = 0; k < 2; k++) {
            ParamRegistry reg = new ParamRegistry();
            reg.add("a", Init.normal(1), 123, 301);        // decayed
            reg.add("a_bias", Init.normal(1), 777);         // not decayed
            reg.add("b", Init.normal(1), 250, 257);        // decayed
            reg.add("b_bias", Init.normal(1), 33);
            stores[k] = reg.build(DataType.FLOAT, 5);
            opts[k] = new AdamW(stores[k], cfg);
        }
        assertTrue(stores[0].layout().decayRuns().size() >= 2, "several decay runs");
        INDArray initial = stores[0].params().dup();
        for (int step = 0; step < 3; step++) {
            INDArray g = dev.ponder.core.GradCheck.random(10 + step, stores[0].size()).castTo(DataType.FLOAT);
            stores[0].grads().assign(g);
            stores[1].grads().assign(g);
            // the fused kernel applies the clip factor in its pass; the reference clips the buffer first
            double scale = GradClip.scale(GradClip.globalNorm(stores[0].grads()), 40.0);
            assertTrue(scale < 1, "the clip is active");
            opts[0].step(0.01 * (step + 1), scale);
            assertEquals(GradClip.globalNorm(stores[1].grads()), GradClip.clipByGlobalNorm(stores[1].grads(), 40.0));
            opts[1].stepReference(0.01 * (step + 1));
            assertTrue(stores[1].params().equalsWithEps(stores[0].params(), 1e-5), "params after step " + step);
            assertTrue(opts[1].state().equalsWithEps(opts[0].state(), 1e-5), "state after step " + step);
        }
        assertEquals(opts[1].stepCount(), opts[0].stepCount());
        assertTrue(stores[0].params().sub(initial).norm2Number().doubleValue() > 1e-3, "the steps moved the parameters");
    }

    /** The update on SIMD lanes gives the scalar loop's bits (tails included), decayed or not. */
    @Test
    void lanesEqualTheScalarUpdate() {
        int n = 203;
        java.util.function.IntFunction<java.nio.ByteBuffer> buf = seed -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8 * n).order(java.nio.ByteOrder.nativeOrder());
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            for (int i = 0; i < 2 * n; i++) {
                b.putFloat(4 * i, (float) (r.nextDouble() * (seed == 3 ? 1e-3 : 2) - (seed == 3 ? 0 : 1)));
            }
            return b;
        };
        for (float decay : new float[] {1f, 0.999f}) {
            AdamWKernel.Coefficients k = new AdamWKernel.Coefficients(0.9f, 0.1f, 0.999f, 0.001f, 1e-8f, 3e-3f, decay, 0.7f);
            java.nio.ByteBuffer[] a = {buf.apply(1), buf.apply(2), buf.apply(3)};   // p, g, state (m then v >= 0)
            java.nio.ByteBuffer[] b = {buf.apply(1), buf.apply(2), buf.apply(3)};
            AdamWKernel.Scalar.update(a[0], a[1], a[2], n, 5, n, k);
            VectorAdamW.update(b[0], b[1], b[2], n, 5, n, k);
            for (int t = 0; t < 3; t += 2) {
                for (int i = 0; i < 2 * n; i++) {
                    assertEquals(Float.floatToRawIntBits(a[t].getFloat(4 * i)), Float.floatToRawIntBits(b[t].getFloat(4 * i)),
                            (t == 0 ? "p" : "state") + " element " + i + " decay " + decay);
                }
            }
        }
    }
}
