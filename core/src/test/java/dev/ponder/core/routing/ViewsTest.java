package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class ViewsTest {
    @Test
    void expertMatricesAndRowBlocksOfAParameterViewReadTheRightMemory() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 4, 24);
        reg.add("w", Init.uniform(1), 8, 6, 4);                   // a view at offset 96 of the flat buffer
        ParamStore store = reg.build(DataType.DOUBLE, 3);
        INDArray w = store.value("w");
        INDArray flat = store.params();
        for (int e = 0; e < 8; e++) {
            INDArray m = Views.matrix(w, e);
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(flat.getDouble(96 + e * 24 + i * 4 + j), m.getDouble(i, j), "expert " + e);
                }
            }
        }
        INDArray rows = Views.rows(store.value("before"), 2, 2);
        assertEquals(flat.getDouble(2 * 24 + 5), rows.getDouble(0, 5));
        assertEquals(flat.getDouble(3 * 24 + 23), rows.getDouble(1, 23));
    }
}
