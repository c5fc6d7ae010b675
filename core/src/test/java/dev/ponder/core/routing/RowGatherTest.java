package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class RowGatherTest {
    @Test
    void gatherCopiesRowsInFloatAndDoubleFromViews() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray big = GradCheck.random(1, 7, 3).castTo(dt);
            INDArray src = big.get(NDArrayIndex.interval(2, 7), NDArrayIndex.all()); // a view with an offset
            int[] rows = {4, 0, 4, 2};
            INDArray dst = Nd4j.create(dt, 4, 3);
            RowGather.gather(src, rows, dst);
            for (int i = 0; i < rows.length; i++) {
                assertEquals(src.getRow(rows[i]), dst.getRow(i), dt + " row " + i);
            }
        }
    }

    @Test
    void addRowsAddsIntoDistinctTargetsAndSkipsNegativeOnes() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray dst = GradCheck.random(3, 6, 4).castTo(dt);
            INDArray before = dst.dup();
            INDArray src = GradCheck.random(4, 3, 4).castTo(dt);
            RowGather.addRows(src, new int[] {5, -1, 1}, dst);
            assertEquals(before.getRow(5).add(src.getRow(0)), dst.getRow(5));
            assertEquals(before.getRow(1).add(src.getRow(2)), dst.getRow(1));
            for (int r : new int[] {0, 2, 3, 4}) {
                assertEquals(before.getRow(r), dst.getRow(r), "untouched row " + r);
            }
        }
    }

    @Test
    void gatherSumAddsEachRowsGroupAndZeroesEmptyRows() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray src = GradCheck.random(2, 5, 4).castTo(dt);
            int[] target = {1, 3, 1, -1, 0};                       // src row -> output row
            SlotSort.Sorted groups = SlotSort.byKey(target, 4);
            INDArray dst = Nd4j.valueArrayOf(new long[] {4, 4}, 9.0, dt);
            RowGather.gatherSum(src, groups, dst);
            assertEquals(src.getRow(4), dst.getRow(0));
            assertEquals(src.getRow(0).add(src.getRow(2)), dst.getRow(1));
            assertEquals(Nd4j.zeros(dt, 4), dst.getRow(2));
            assertEquals(src.getRow(1), dst.getRow(3));
        }
    }

    @Test
    void copyRowsWritesOnlyTheNamedTargetRowsAndZeroRowsClearsThem() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray src = GradCheck.random(3, 4, 3).castTo(dt);
            INDArray dst = Nd4j.valueArrayOf(new long[] {5, 3}, 7.0, dt);
            RowGather.copyRows(src, new int[] {2, 0, 3}, dst, new int[] {4, 1, 0});
            assertEquals(src.getRow(3), dst.getRow(0));
            assertEquals(src.getRow(0), dst.getRow(1));
            assertEquals(src.getRow(2), dst.getRow(4));
            assertEquals(Nd4j.valueArrayOf(new long[] {3}, 7.0, dt), dst.getRow(2), "untouched");
            RowGather.zeroRows(dst, new int[] {1, 4});
            assertEquals(Nd4j.zeros(dt, 3), dst.getRow(1));
            assertEquals(Nd4j.zeros(dt, 3), dst.getRow(4));
            assertEquals(src.getRow(3), dst.getRow(0));
        }
    }
}
