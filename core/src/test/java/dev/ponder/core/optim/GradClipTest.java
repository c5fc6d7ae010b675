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

    /** The host norm (float buffers) equals the exact norm, on a length that is not a multiple of a block. */
    @Test
    void hostNormOfFloatGradientsIsExact() {
        int n = 3 * GradClip.BLOCK + 77;
        INDArray g = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, n).subi(0.5);
        double exact = 0;
        for (int i = 0; i < n; i++) {
            exact += g.getDouble(i) * g.getDouble(i);
        }
        exact = Math.sqrt(exact);
        assertEquals(exact, GradClip.hostNorm(g), 1e-6 * exact);
        assertEquals(exact, GradClip.clipByGlobalNorm(g.dup(), 0), 1e-6 * exact, "float buffers take the host norm");
    }
}
