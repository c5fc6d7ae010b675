package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SoftmaxTopKTest {
    @Test
    void gatesAreProbabilitiesOptionallyRenormalised() {
        INDArray z = Nd4j.createFromArray(new double[][] {{0.0, 1.0, 2.0}});
        double sum = 1 + Math.E + Math.E * Math.E;
        SoftmaxTopK plain = new SoftmaxTopK(3, 2, false);
        Routing r = plain.route(z).routing();
        assertArrayEquals(new int[] {2, 1}, r.experts());
        assertEquals(Math.E * Math.E / sum, r.gates().getDouble(0, 0), 1e-15);
        Routing n = new SoftmaxTopK(3, 2, true).route(z).routing();
        assertEquals(Math.E / (1 + Math.E), n.gates().getDouble(0, 0), 1e-15);
        assertEquals(1.0, n.gates().sumNumber().doubleValue(), 1e-15);
    }

    @Test
    void balanceLossIsOneWhenUniformAndZLossIsMeanSquaredLogsumexp() {
        INDArray z = Nd4j.createFromArray(new double[][] {{5, 0, 0, 0}, {0, 5, 0, 0}, {0, 0, 5, 0}, {0, 0, 0, 5}});
        SoftmaxTopK router = new SoftmaxTopK(4, 1, false);
        SoftmaxTopK.Saved s = router.route(z).saved();
        assertEquals(1.0, router.balanceLoss(s), 1e-12);
        double lse = Math.log(Math.exp(5) + 3);
        assertEquals(lse * lse, router.zLoss(s), 1e-12);
        // everything on expert 0: f = (1, 0, 0, 0), P_0 = p(5 vs 0s) -> E * P_0
        INDArray skew = Nd4j.createFromArray(new double[][] {{5, 0, 0, 0}, {5, 0, 0, 0}});
        SoftmaxTopK.Saved s2 = router.route(skew).saved();
        assertEquals(4 * Math.exp(5) / (Math.exp(5) + 3), router.balanceLoss(s2), 1e-12);
    }

    @Test
    void gradientOfGatesBalanceAndZLossesMatchesFiniteDifferences() {
        for (boolean renorm : new boolean[] {false, true}) {
            INDArray z = SigmoidTopKTest.separatedLogits(9, 7, 5);
            SoftmaxTopK router = new SoftmaxTopK(5, 2, renorm);
            INDArray w = GradCheck.random(2, 7, 2);
            SoftmaxTopK.Routed routed = router.route(z);
            INDArray dz = router.backward(routed.saved(), w, 0.3, 0.2, z);
            GradCheck.check("dz renorm=" + renorm, z, dz, () -> {
                SoftmaxTopK.Routed r = router.route(z);
                return GradCheck.weightedSum(r.routing().gates(), w) + 0.3 * router.balanceLoss(r.saved())
                        + 0.2 * router.zLoss(r.saved());
            }, 100, 1);
        }
    }
}
