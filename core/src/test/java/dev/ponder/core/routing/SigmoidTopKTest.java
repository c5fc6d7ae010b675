package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.tensor.Rng;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SigmoidTopKTest {
    /** Logits whose values in each row are a permutation of well-separated levels (no near ties). */
    static INDArray separatedLogits(long seed, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            int[] perm = new int[cols];
            for (int c = 0; c < cols; c++) {
                perm[c] = c;
            }
            for (int c = cols - 1; c > 0; c--) {
                int j = r.nextInt(c + 1);
                int t = perm[c];
                perm[c] = perm[j];
                perm[j] = t;
            }
            for (int c = 0; c < cols; c++) {
                v[i * cols + c] = -2 + 0.3 * perm[c] + 0.05 * r.nextDouble();
            }
        }
        return Nd4j.createFromArray(v).reshape(rows, cols);
    }

    @Test
    void choosesTheLargestUnnormalisedSigmoidsPerGroup() {
        INDArray z = Nd4j.createFromArray(new double[][] {{0.1, 2.0, -1.0, 0.5, 3.0, -2.0, 0.0, 1.0}});
        SigmoidTopK router = new SigmoidTopK(4, 2, 2, 0.0);        // two groups (heads) of 4 experts
        Routing r = router.route(z, false, null).routing();
        assertEquals(2, r.rows());
        assertArrayEquals(new int[] {1, 3, 4, 7}, r.experts());      // group 1 ids are offset by E = 4
        assertEquals(1 / (1 + Math.exp(-2.0)), r.gates().getDouble(0, 0), 1e-15);
        assertEquals(1 / (1 + Math.exp(-0.5)), r.gates().getDouble(0, 1), 1e-15);
        assertEquals(1 / (1 + Math.exp(-1.0)), r.gates().getDouble(1, 1), 1e-15);
        assertArrayEquals(new int[] {0, 1, 0, 1, 1, 0, 0, 1}, r.counts());
    }

    @Test
    void gradientFlowsOnlyThroughChosenGates() {
        INDArray z = separatedLogits(3, 6, 10);
        SigmoidTopK router = new SigmoidTopK(5, 2, 2, 0.0);
        SigmoidTopK.Routed routed = router.route(z, true, null);
        INDArray w = GradCheck.random(4, 12, 2);
        INDArray dz = router.backward(routed.saved(), w, z);
        GradCheck.check("dz", z, dz, () -> GradCheck.weightedSum(router.route(z, true, null).routing().gates(), w),
                100, 1);
        int nonZero = 0;
        for (double v : HostArrays.read(dz)) {
            nonZero += v != 0 ? 1 : 0;
        }
        assertEquals(12 * 2, nonZero, "one entry per chosen slot");
    }

    @Test
    void expertDropoutMasksSeededAndOnlyInTraining() {
        INDArray z = separatedLogits(5, 200, 8);
        SigmoidTopK router = new SigmoidTopK(8, 3, 1, 0.5);
        Rng rng = new Rng(7).split("dropout");
        Routing train1 = router.route(z, true, rng).routing();
        Routing train2 = router.route(z, true, rng).routing();
        Routing eval = router.route(z, false, rng).routing();
        Routing clean = new SigmoidTopK(8, 3, 1, 0.0).route(z, true, rng).routing();
        assertArrayEquals(train1.experts(), train2.experts(), "same stream, same mask");
        assertArrayEquals(clean.experts(), eval.experts(), "no dropout when evaluating");
        assertNotEquals(java.util.Arrays.toString(clean.experts()), java.util.Arrays.toString(train1.experts()));
        assertTrue(new SigmoidTopK(8, 3, 1, 0.5).route(z, true, new Rng(8)).routing().routedSlots() <= 600);
    }

    @Test
    void tooFewSurvivingExpertsDropTheRemainingSlots() {
        double inf = Double.NEGATIVE_INFINITY;
        int[] idx = new int[3];
        assertEquals(2, TopK.select(new double[] {inf, 1.0, inf, 0.5}, 0, 4, 3, idx, 0));
        assertArrayEquals(new int[] {1, 3, -1}, idx);
    }
}
