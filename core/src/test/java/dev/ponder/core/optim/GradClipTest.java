package dev.ponder.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradClipTest {
    @Test
    void clipsToMaxNormAndReturnsPreClipNorm() {
        INDArray g = Nd4j.createFromArray(new double[] {3, 4, 0, 0});
        assertEquals(5.0, GradClip.clipByGlobalNorm(g, 1.0), 1e-12);
        assertEquals(1.0, g.norm2Number().doubleValue(), 1e-6);
        assertEquals(0.6, g.getDouble(0), 1e-6);
    }

    @Test
    void leavesSmallGradientsAndDisabledClippingAlone() {
        INDArray g = Nd4j.createFromArray(new double[] {0.3, 0.4});
        assertEquals(0.5, GradClip.clipByGlobalNorm(g, 1.0), 1e-12);
        assertEquals(0.3, g.getDouble(0), 0);
        INDArray h = Nd4j.createFromArray(new double[] {30, 40});
        assertEquals(50.0, GradClip.clipByGlobalNorm(h, 0), 1e-12);
        assertEquals(30.0, h.getDouble(0), 0);
    }
}
