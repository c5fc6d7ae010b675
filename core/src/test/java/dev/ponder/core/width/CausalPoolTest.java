package dev.ponder.core.width;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class CausalPoolTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int D = 3;

    @Test
    void prefixIsTheMeanOfTheFirstPPositions() {
        INDArray h = GradCheck.random(1, B * T, D);
        for (int p : new int[] {1, 3, 5, 9}) {
            INDArray out = CausalPool.forward(CausalPool.Mode.PREFIX, p, h, B, T).out();
            assertArrayEquals(new long[] {B, D}, out.shape());
            int pe = Math.min(p, T);
            for (int b = 0; b < B; b++) {
                for (int c = 0; c < D; c++) {
                    double s = 0;
                    for (int t = 0; t < pe; t++) {
                        s += h.getDouble(b * T + t, c);
                    }
                    assertEquals(s / pe, out.getDouble(b, c), 1e-12, "P " + p + " sample " + b);
                }
            }
        }
    }

    @Test
    void tokenModeIsTheRunningMeanAndSeesNoLaterPosition() {
        INDArray h = GradCheck.random(2, B * T, D);
        INDArray out = CausalPool.forward(CausalPool.Mode.TOKEN, 1, h, B, T).out();
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                double s = 0;
                for (int u = 0; u <= t; u++) {
                    s += h.getDouble(b * T + u, 0);
                }
                assertEquals(s / (t + 1), out.getDouble(b * T + t, 0), 1e-12);
            }
        }
        h.putScalar(new long[] {3, 1}, 50.0);                             // sample 0, position 3
        INDArray after = CausalPool.forward(CausalPool.Mode.TOKEN, 1, h, B, T).out();
        for (int t = 0; t < T; t++) {
            boolean moved = Math.abs(after.getDouble(t, 1) - out.getDouble(t, 1)) > 1e-9;
            assertEquals(t >= 3, moved, "position " + t);
            assertEquals(out.getDouble(T + t, 1), after.getDouble(T + t, 1), 0.0, "the other sample");
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (CausalPool.Mode mode : CausalPool.Mode.values()) {
            INDArray h = GradCheck.random(3, B * T, D);
            int rows = B * CausalPool.rowsPerSample(mode, T);
            INDArray r = GradCheck.random(4, rows, D);
            CausalPool.Pooled p = CausalPool.forward(mode, 3, h, B, T);
            INDArray dh = CausalPool.backward(p.saved(), r);
            GradCheck.check(mode + " dh", h, dh,
                    () -> GradCheck.weightedSum(CausalPool.forward(mode, 3, h, B, T).out(), r), 100, 1);
        }
    }

    @Test
    void badModeNamesTheKey() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CausalPool.Mode.parse("mean"));
        assertEquals("model.sharcs_router_pool: expected prefix or token, found 'mean'", e.getMessage());
    }
}
