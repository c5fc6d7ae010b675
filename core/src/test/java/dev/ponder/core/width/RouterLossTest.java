package dev.ponder.core.width;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RouterLossTest {
    @Test
    void meanBceWithLogitsAndItsGradient() {
        INDArray z = Nd4j.createFromArray(new double[][] {{2.0, -1.0, 0.5}, {-30.0, 40.0, 0.0}});
        boolean[][] y = {{true, false, true}, {false, true, false}};
        RouterLoss.Result r = RouterLoss.compute(z, y, 1, 1.0);
        double expect = 0;
        double[][] zz = z.toDoubleMatrix();
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                double p = 1 / (1 + Math.exp(-zz[i][j]));
                double yj = y[i][j] ? 1 : 0;
                // -(y log p + (1 - y) log(1 - p)), written stably for the large logits
                expect += yj == 1 ? Math.log1p(Math.exp(-zz[i][j])) : zz[i][j] + Math.log1p(Math.exp(-zz[i][j]));
            }
        }
        assertEquals(expect / 6, r.loss(), 1e-12);
        assertEquals(2, r.correct());                                     // argmax 0 (label) and 1 (label)
        GradCheck.check("dz", z, r.dLogits(), () -> RouterLoss.compute(z, y, 1, 1.0).loss(), 10, 1);
    }

    @Test
    void perTokenRowsShareTheirSampleLabels() {
        INDArray z = GradCheck.random(1, 4, 2);
        boolean[][] y = {{true, false}, {false, true}};
        RouterLoss.Result shared = RouterLoss.compute(z, y, 2, 0.5);
        RouterLoss.Result expanded = RouterLoss.compute(z, new boolean[][] {y[0], y[0], y[1], y[1]}, 1, 0.5);
        assertEquals(expanded.loss(), shared.loss(), 0);
        assertEquals(expanded.dLogits(), shared.dLogits());
        assertArrayEquals(new int[] {1, 0}, RouterLoss.argmax(Nd4j.createFromArray(new double[][] {{0, 1}, {3, 3}})));
    }

    @Test
    void routerGradientsMatchFiniteDifferences() {
        for (CausalPool.Mode mode : CausalPool.Mode.values()) {
            ParamRegistry reg = new ParamRegistry();
            WidthRouter router = new WidthRouter(reg, "router", 4, 6, 3, mode, 2);
            ParamStore store = reg.build(DataType.DOUBLE, 3);
            INDArray h = GradCheck.random(2, 2 * 5, 4);
            int rows = 2 * CausalPool.rowsPerSample(mode, 5);
            INDArray r = GradCheck.random(3, rows, 3);
            INDArray dh = router.backward(router.forward(h, 2, 5).saved(), r);
            GradCheck.check(mode + " dh", h, dh, () -> GradCheck.weightedSum(router.forward(h, 2, 5).out(), r), 100, 1);
            GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(router.forward(h, 2, 5).out(), r), 100);
        }
    }
}
