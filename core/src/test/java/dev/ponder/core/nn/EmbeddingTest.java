package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EmbeddingTest {
    @Test
    void gathersRows() {
        ParamRegistry reg = new ParamRegistry();
        Embedding emb = new Embedding(reg, "embedding", 5, 3, Init.normal(1));
        ParamStore store = reg.build(DataType.DOUBLE, 3);
        INDArray out = emb.forward(new int[] {4, 0, 4}).out();
        assertEquals(store.value("embedding.weight").getRow(4), out.getRow(0));
        assertEquals(store.value("embedding.weight").getRow(0), out.getRow(1));
        assertEquals(store.value("embedding.weight").getRow(4), out.getRow(2));
    }

    @Test
    void backwardSumsDuplicateIdsAndMatchesFiniteDifferences() {
        ParamRegistry reg = new ParamRegistry();
        Embedding emb = new Embedding(reg, "embedding", 7, 4, Init.normal(1));
        ParamStore store = reg.build(DataType.DOUBLE, 3);
        int[] ids = {1, 3, 1, 1, 6, 3, 0, 1};
        INDArray r = GradCheck.random(2, ids.length, 4);
        emb.backward(emb.forward(ids).saved(), r);
        INDArray expectedRow1 = r.getRow(0).add(r.getRow(2)).add(r.getRow(3)).add(r.getRow(7));
        assertEquals(expectedRow1, store.grad("embedding.weight").getRow(1));
        assertEquals(0.0, store.grad("embedding.weight").getRow(2).sumNumber().doubleValue(), 0.0);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(emb.forward(ids).out(), r), 100);
    }

    @Test
    void manyDuplicatesInALargeBatchLoseNoUpdates() {
        ParamRegistry reg = new ParamRegistry();
        Embedding emb = new Embedding(reg, "embedding", 50, 64, Init.normal(1));
        ParamStore store = reg.build(DataType.FLOAT, 3);
        int[] ids = new int[4096];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7) % 5; // five ids, each ~800 times
        }
        emb.backward(emb.forward(ids).saved(), Nd4j.ones(DataType.FLOAT, ids.length, 64));
        assertEquals(4096.0 * 64, store.grads().sumNumber().doubleValue(), 0.0);
    }

    @Test
    void rejectsOutOfRangeIds() {
        ParamRegistry reg = new ParamRegistry();
        Embedding emb = new Embedding(reg, "embedding", 5, 3, Init.normal(1));
        reg.build(DataType.DOUBLE, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {5}));
        assertEquals("embedding: expected token ids in [0, 5), found 5", e.getMessage());
    }
}
