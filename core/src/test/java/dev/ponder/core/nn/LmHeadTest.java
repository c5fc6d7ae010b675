package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LmHeadTest {
    private static final int V = 7;
    private static final int D = 4;
    private static final int N = 5;
    private static final int[] TARGETS = {3, 0, 6, 3, 2};

    private record Setup(LmHead head, ParamStore store) {}

    private static Setup setup(long chunkElements) {
        ParamRegistry reg = new ParamRegistry();
        LmHead head = new LmHead(reg.add("lm_head.weight", Init.normal(0.7), V, D),
                reg.add("lm_head.bias", Init.normal(0.3), false, V), chunkElements);
        return new Setup(head, reg.build(DataType.DOUBLE, 5));
    }

    private static double referenceLossSum(INDArray logits) {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) {
                max = Math.max(max, logits.getDouble(i, v));
            }
            double z = 0;
            for (int v = 0; v < V; v++) {
                z += Math.exp(logits.getDouble(i, v) - max);
            }
            sum += Math.log(z) + max - logits.getDouble(i, TARGETS[i]);
        }
        return sum;
    }

    @Test
    void lossMatchesLogSoftmaxReferenceAndIsStableForHugeLogits() {
        Setup s = setup(2 * V);
        INDArray x = GradCheck.random(1, N, D);
        INDArray logits = Nd4j.create(DataType.DOUBLE, N, V);
        double loss = s.head().loss(x, TARGETS, logits);
        assertTrue(logits.equalsWithEps(s.head().logits(x), 1e-12));
        assertEquals(referenceLossSum(logits), loss, 1e-10);
        s.store().value("lm_head.weight").muli(1e4);                       // logits ~ 1e4: exp overflows naively
        double big = s.head().loss(x, TARGETS, null);
        assertTrue(Double.isFinite(big));
        assertEquals(referenceLossSum(s.head().logits(x)), big, 1e-6 * Math.abs(big));
    }

    @Test
    void chunkedResultsDoNotDependOnChunkSize() {
        INDArray x = GradCheck.random(1, N, D);
        Setup one = setup(1000);
        Setup chunked = setup(2 * V);
        LmHead.Result a = one.head().lossAndGrad(x, TARGETS, 1.0 / N);
        LmHead.Result b = chunked.head().lossAndGrad(x, TARGETS, 1.0 / N);
        assertEquals(a.lossSum(), b.lossSum(), 1e-12);
        assertTrue(a.dx().equalsWithEps(b.dx(), 1e-12));
        assertTrue(one.store().grads().equalsWithEps(chunked.store().grads(), 1e-12));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Setup s = setup(2 * V);  // 2 rows per chunk, last chunk partial
        INDArray x = GradCheck.random(1, N, D);
        LmHead.Result r = s.head().lossAndGrad(x, TARGETS, 1.0 / N);
        GradCheck.check("dx", x, r.dx(), () -> s.head().loss(x, TARGETS, null) / N, 100, 1);
        GradCheck.checkAllParams(s.store(), () -> s.head().loss(x, TARGETS, null) / N, 100);
    }
}
