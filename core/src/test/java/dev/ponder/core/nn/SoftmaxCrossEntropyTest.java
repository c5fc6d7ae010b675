package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The fused host softmax-cross-entropy against the ND4J reference path. */
class SoftmaxCrossEntropyTest {
    @Test
    void fusedPassEqualsTheReference() {
        int n = 300;
        int v = 1000;
        INDArray z = GradCheck.random(1, n, v).muli(4).castTo(DataType.FLOAT);
        z.putScalar(new long[] {7, 3}, 250f);                      // a row whose target is 250 below its max:
        int[] targets = new int[n + 5];                            // exp(z_y - max) underflows in float
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextInt(v);
        }
        targets[5 + 7] = 4;
        for (boolean withGrad : new boolean[] {false, true}) {
            INDArray a = z.dup();
            INDArray b = z.dup();
            double[] rowA = new double[n + 5];
            double[] rowB = new double[n + 5];
            double la = SoftmaxCrossEntropy.fused(a, targets, 5, withGrad, rowA);
            double lb = SoftmaxCrossEntropy.reference(b, targets, 5, withGrad, rowB);
            assertEquals(lb, la, 1e-6 * Math.abs(lb), "summed loss, grad " + withGrad);
            for (int i = 0; i < n; i++) {
                assertEquals(rowB[5 + i], rowA[5 + i], 1e-4 * (1 + Math.abs(rowB[5 + i])), "row " + i);
            }
            assertTrue(rowA[5 + 7] > 240, "the far-off target's loss is finite and large: " + rowA[5 + 7]);
            if (withGrad) {                                      // without, the fused pass leaves z unspecified
                assertTrue(b.equalsWithEps(a, 1e-6), "softmax minus one-hot");
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.inPlace(z.dup(), new int[] {v}, 0, false), "target out of range is named");
    }
}
