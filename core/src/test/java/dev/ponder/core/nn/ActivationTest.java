package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** ReLU's host path (float, SIMD lanes, split over threads) against the definition, element by element. */
class ActivationTest {
    @Test
    void hostReluMatchesTheDefinition() {
        for (int n : new int[] {3, 40, 70001}) {                         // 70001: several blocks, a ragged tail
            INDArray h = GradCheck.random(21, 1, n).castTo(DataType.FLOAT).reshape(n / (n % 2 == 0 ? 2 : 1), -1);
            INDArray x = h.dup();
            INDArray dOut = GradCheck.random(22, 1, n).castTo(DataType.FLOAT).reshape(h.shape());
            INDArray g = dOut.dup();
            Activation.Result r = Activation.RELU.forward(h);
            INDArray dIn = Activation.RELU.backwardInPlace(r.saved(), g);
            float[] xs = x.data().asFloat();
            float[] ys = r.out().dup().data().asFloat();
            float[] gs = dOut.data().asFloat();
            float[] ds = dIn.dup().data().asFloat();
            for (int i = 0; i < n; i++) {
                assertEquals(Math.max(xs[i], 0f), ys[i], 0f, "relu at " + i + " of " + n);
                assertEquals(xs[i] > 0 ? gs[i] : 0f, ds[i], 0f, "relu gradient at " + i + " of " + n);
            }
        }
    }
}
