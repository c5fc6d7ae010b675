package dev.ponder.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BackendTest {
    @Test
    void gemmMatchesHandComputedProduct() {
        Backend.init();
        INDArray a = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
        INDArray b = Nd4j.createFromArray(new float[][] {{5, 6}, {7, 8}});
        INDArray c = a.mmul(b);
        assertEquals(19f, c.getFloat(0, 0), 0f);
        assertEquals(50f, c.getFloat(1, 1), 0f);
        assertTrue(Backend.describe().contains("dtype=FLOAT"));
    }
}
