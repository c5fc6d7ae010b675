package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.tensor.HostParallel;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Inputs large enough for the split host paths, checked against row-by-row computations. */
class HostParallelTest {
    @Test
    void coversEveryIndexOnce() {
        int[] hits = new int[1000];
        HostParallel.forRange(1000, HostParallel.MIN_PARALLEL_WORK, (a, b) -> {
            for (int i = a; i < b; i++) {
                hits[i]++;
            }
        });
        for (int h : hits) {
            assertEquals(1, h);
        }
    }

    @Test
    void largeGatherAndGatherSumMatchRowByRow() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray src = GradCheck.random(1, 3000, 96).castTo(dt);
            SplittableRandom r = new SplittableRandom(2);
            int[] rows = new int[4000];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = r.nextInt(3000);
            }
            INDArray g = Nd4j.create(dt, rows.length, 96);
            RowGather.gather(src, rows, g);
            INDArray sum = Nd4j.create(dt, 3000, 96);
            RowGather.gatherSum(g, SlotSort.byKey(rows, 3000), sum);
            INDArray expected = Nd4j.zeros(dt, 3000, 96);
            for (int i = 0; i < rows.length; i++) {
                assertEquals(src.getRow(rows[i]), g.getRow(i));
                expected.getRow(rows[i]).addi(src.getRow(rows[i]));
            }
            assertTrue(expected.equalsWithEps(sum, 1e-5), dt.toString());
        }
    }

    @Test
    void largeRegulariserIsTheMeanOfPerSequenceRegularisers() {
        int b = 6;
        int t = 200;
        List<INDArray> zs = List.of(GradCheck.random(3, b * t, 2 * 32).muli(3), GradCheck.random(4, b * t, 2 * 32));
        EntropyRegularizer.Result all = EntropyRegularizer.compute(zs, b, t, 2, 32, 1.0);
        double mean = 0;
        for (int i = 0; i < b; i++) {
            int from = i * t;
            List<INDArray> one = zs.stream().map(z -> z.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + t),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup()).toList();
            EntropyRegularizer.Result r = EntropyRegularizer.compute(one, 1, t, 2, 32, 1.0);
            mean += r.loss() / b;
            INDArray part = all.dLogits().get(1).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + t),
                    org.nd4j.linalg.indexing.NDArrayIndex.all());
            assertTrue(part.equalsWithEps(r.dLogits().get(1).div(b), 1e-15), "sequence " + i);
        }
        assertEquals(mean, all.loss(), 1e-12);
    }

    @Test
    void largeTopKMatchesPerRowSelection() {
        INDArray z = GradCheck.random(5, 3000, 64);
        Routing r = new SigmoidTopK(64, 8, 1, 0).route(z, false, null).routing();
        double[] v = HostArrays.read(z);
        int[] idx = new int[8];
        for (int row = 0; row < 3000; row += 97) {
            TopK.select(v, row * 64, 64, 8, idx, 0);
            assertArrayEquals(idx, java.util.Arrays.copyOfRange(r.experts(), row * 8, row * 8 + 8));
        }
    }
}
