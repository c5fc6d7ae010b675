package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ExpertMatmulTest {
    private static final int[] OFFSETS = {0, 2, 2, 5};           // expert 1 has no rows

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void eachExpertMultipliesOnlyItsRows(boolean batched) {
        INDArray x = GradCheck.random(1, 5, 3);
        INDArray w = GradCheck.random(2, 3, 3, 4);
        INDArray y = Nd4j.valueArrayOf(new long[] {5, 4}, 7.0, x.dataType());
        long macs = ExpertMatmul.forward(x, w, OFFSETS, y, false, batched);
        assertEquals(5L * 3 * 4, macs);
        for (int r = 0; r < 5; r++) {
            int e = r < 2 ? 0 : 2;
            assertTrue(x.getRow(r).reshape(1, 3).mmul(w.slice(e)).reshape(4).equalsWithEps(y.getRow(r), 1e-12));
        }
        INDArray back = Nd4j.create(x.dataType(), 5, 3);
        ExpertMatmul.forward(y, w, OFFSETS, back, true, batched);         // y W^T
        assertTrue(y.getRow(0).reshape(1, 4).mmul(w.slice(0).transpose()).reshape(3).equalsWithEps(back.getRow(0), 1e-12));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weightGradAccumulatesPerExpertAndLeavesIdleExpertsAlone(boolean batched) {
        INDArray x = GradCheck.random(3, 5, 3);
        INDArray dy = GradCheck.random(4, 5, 4);
        INDArray dw = Nd4j.ones(x.dataType(), 3, 3, 4);
        ExpertMatmul.accumulateWeightGrad(x, dy, OFFSETS, dw, batched);
        INDArray ref0 = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).transpose()
                .mmul(dy.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2))).addi(1);
        assertTrue(ref0.equalsWithEps(dw.slice(0), 1e-12));
        assertEquals(Nd4j.ones(x.dataType(), 3, 4), dw.slice(1));
    }

    /**
     * The batched path on parameter views at an offset of the flat buffers (ND4J's slice() reads the
     * wrong memory there): equal to the per-expert loop, forward, transposed and weight gradient,
     * also for float.
     */
    @Test
    void batchedPathEqualsTheLoopOnParameterViews() {
        for (org.nd4j.linalg.api.buffer.DataType dt : new org.nd4j.linalg.api.buffer.DataType[] {
                org.nd4j.linalg.api.buffer.DataType.DOUBLE, org.nd4j.linalg.api.buffer.DataType.FLOAT}) {
            dev.ponder.core.params.ParamRegistry reg = new dev.ponder.core.params.ParamRegistry();
            reg.add("before", dev.ponder.core.params.Init.uniform(1), 4, 24);
            reg.add("w", dev.ponder.core.params.Init.uniform(1), 8, 6, 4);       // offset 96, experts past the half
            dev.ponder.core.params.ParamStore store = reg.build(dt, 3);
            INDArray w = store.value("w");
            int[] offsets = {0, 1, 1, 4, 6, 6, 7, 9, 12};                         // 12 rows, loads 0..3
            assertTrue(ExpertMatmul.batched(offsets));
            INDArray x = GradCheck.random(5, 12, 6).castTo(dt);
            INDArray loop = Nd4j.create(dt, 12, 4);
            INDArray batch = Nd4j.create(dt, 12, 4);
            assertEquals(ExpertMatmul.forward(x, w, offsets, loop, false, false),
                    ExpertMatmul.forward(x, w, offsets, batch, false, true));
            assertTrue(loop.equalsWithEps(batch, 1e-5), dt + " forward");
            INDArray backLoop = Nd4j.create(dt, 12, 6);
            INDArray backBatch = Nd4j.create(dt, 12, 6);
            ExpertMatmul.forward(loop, w, offsets, backLoop, true, false);
            ExpertMatmul.forward(loop, w, offsets, backBatch, true, true);
            assertTrue(backLoop.equalsWithEps(backBatch, 1e-5), dt + " transposed");
            INDArray dy = GradCheck.random(6, 12, 4).castTo(dt);
            ExpertMatmul.accumulateWeightGrad(x, dy, offsets, store.grad("w"), true);
            INDArray viaBatch = store.grad("w").dup();
            store.zeroGrads();
            ExpertMatmul.accumulateWeightGrad(x, dy, offsets, store.grad("w"), false);
            assertTrue(viaBatch.equalsWithEps(store.grad("w"), 1e-5), dt + " weight gradient");
            assertEquals(0.0, store.grad("before").norm2Number().doubleValue(), 0.0, "no write outside the view");
        }
        assertTrue(!ExpertMatmul.batched(new int[] {0, 100, 100}), "large loads run the loop");
        assertTrue(!ExpertMatmul.batched(new int[] {0, 0, 0}), "nothing routed");
    }

    /**
     * The public entry points at a load large enough for the threaded direct path (experts split
     * over the compute threads, OpenBLAS at one thread meanwhile): every expert's rows equal its own
     * product (INDArray.mmul, an independent path), idle experts untouched, OpenBLAS's thread count
     * restored.
     */
    @Test
    void threadedDirectPathEqualsPerExpertProducts() {
        int[] offsets = {0, 300, 300, 900, 1000, 1600};                  // 5 experts, one idle, unequal loads
        int rows = offsets[5];
        INDArray x = GradCheck.random(11, rows, 64).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        INDArray w = GradCheck.random(12, 5, 64, 48).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        INDArray y = Nd4j.create(x.dataType(), rows, 48);
        int blasBefore = dev.ponder.core.tensor.HostGemm.blasThreads();
        assertEquals((long) rows * 64 * 48, ExpertMatmul.forward(x, w, offsets, y, false));
        INDArray back = Nd4j.create(x.dataType(), rows, 64);
        ExpertMatmul.forward(y, w, offsets, back, true);
        INDArray dw = Nd4j.ones(x.dataType(), 5, 64, 48);
        ExpertMatmul.accumulateWeightGrad(x, y, offsets, dw);
        assertEquals(blasBefore, dev.ponder.core.tensor.HostGemm.blasThreads(), "OpenBLAS threads restored");
        for (int e = 0; e < 5; e++) {
            int from = offsets[e];
            int n = offsets[e + 1] - from;
            INDArray we = w.get(org.nd4j.linalg.indexing.NDArrayIndex.point(e)).dup();
            if (n == 0) {
                assertEquals(Nd4j.ones(x.dataType(), 64, 48), dw.get(org.nd4j.linalg.indexing.NDArrayIndex.point(e)));
                continue;
            }
            INDArray xe = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + n)).dup();
            INDArray ye = xe.mmul(we);
            assertTrue(ye.equalsWithEps(y.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + n)), 1e-3), "forward " + e);
            assertTrue(ye.mmul(we.transpose()).equalsWithEps(
                    back.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + n)), 1e-2), "transposed " + e);
            assertTrue(xe.transpose().mmul(ye).addi(1).equalsWithEps(
                    dw.get(org.nd4j.linalg.indexing.NDArrayIndex.point(e)), 1e-2), "weight gradient " + e);
        }
    }

    @Test
    void groupsSplitExpertsIntoContiguousRunsOfAboutEqualRows() {
        int[] offsets = {0, 300, 300, 900, 1000, 1600};
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 3, 5}, ExpertMatmul.groups(offsets, 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 5}, ExpertMatmul.groups(offsets, 1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1}, ExpertMatmul.groups(new int[] {0, 9}, 4),
                "never more groups than experts, never an empty group");
        int[] g = ExpertMatmul.groups(new int[] {0, 0, 0, 10, 10}, 3);
        for (int i = 0; i + 1 < g.length; i++) {
            assertTrue(g[i] < g[i + 1], "strictly increasing bounds " + java.util.Arrays.toString(g));
        }
        assertEquals(4, g[g.length - 1]);
    }
}
