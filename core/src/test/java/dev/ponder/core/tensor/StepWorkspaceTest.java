package dev.ponder.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class StepWorkspaceTest {
    @Test
    void arraysInsideAreAttachedAndDetachSurvives() {
        INDArray kept;
        try (StepWorkspace ws = StepWorkspace.open()) {
            INDArray a = Nd4j.ones(DataType.FLOAT, 3, 3);
            assertTrue(a.isAttached());
            try (StepWorkspace nested = StepWorkspace.open()) {   // joins the open scope
                assertTrue(Nd4j.ones(DataType.FLOAT, 2).isAttached());
            }
            assertTrue(Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(StepWorkspace.ID));
            kept = StepWorkspace.detach(a.mul(2));
            try (var out = StepWorkspace.outside()) {
                assertFalse(Nd4j.ones(DataType.FLOAT, 2).isAttached());
            }
        }
        assertFalse(Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(StepWorkspace.ID));
        assertFalse(kept.isAttached());
        assertEquals(18.0, kept.sumNumber().doubleValue(), 0);
        StepWorkspace.releaseThreadArena();
    }

    @Test
    void bulkCopiesHonourViewOffsets() {
        INDArray flat = Nd4j.arange(10).castTo(DataType.FLOAT);
        INDArray view = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)).reshape(2, 2);
        float[] out = new float[5];
        Bulk.copyTo(view, out, 1);
        assertEquals(4f, out[1], 0f);
        assertEquals(7f, out[4], 0f);
        Bulk.copyFrom(new float[] {9, 9, 9, 9}, 0, view);
        assertEquals(9f, flat.getFloat(4), 0f);
        assertEquals(3f, flat.getFloat(3), 0f);
        assertEquals(8f, flat.getFloat(8), 0f);
    }
}
