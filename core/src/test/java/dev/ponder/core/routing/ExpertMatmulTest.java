package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ExpertMatmulTest {
    private static final int[] OFFSETS = {0, 2, 2, 5};           // expert 1 has no rows

    @Test
    void eachExpertMultipliesOnlyItsRows() {
        INDArray x = GradCheck.random(1, 5, 3);
        INDArray w = GradCheck.random(2, 3, 3, 4);
        INDArray y = Nd4j.valueArrayOf(new long[] {5, 4}, 7.0, x.dataType());
        long macs = ExpertMatmul.forward(x, w, OFFSETS, y, false);
        assertEquals(5L * 3 * 4, macs);
        for (int r = 0; r < 5; r++) {
            int e = r < 2 ? 0 : 2;
            assertTrue(x.getRow(r).reshape(1, 3).mmul(w.slice(e)).reshape(4).equalsWithEps(y.getRow(r), 1e-12));
        }
        INDArray back = Nd4j.create(x.dataType(), 5, 3);
        ExpertMatmul.forward(y, w, OFFSETS, back, true);                  // y W^T
        assertTrue(y.getRow(0).reshape(1, 4).mmul(w.slice(0).transpose()).reshape(3).equalsWithEps(back.getRow(0), 1e-12));
    }

    @Test
    void weightGradAccumulatesPerExpertAndLeavesIdleExpertsAlone() {
        INDArray x = GradCheck.random(3, 5, 3);
        INDArray dy = GradCheck.random(4, 5, 4);
        INDArray dw = Nd4j.ones(x.dataType(), 3, 3, 4);
        ExpertMatmul.accumulateWeightGrad(x, dy, OFFSETS, dw);
        INDArray ref0 = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).transpose()
                .mmul(dy.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2))).addi(1);
        assertTrue(ref0.equalsWithEps(dw.slice(0), 1e-12));
        assertEquals(Nd4j.ones(x.dataType(), 3, 4), dw.slice(1));
    }
}
