package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.RoutingStats;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class MoeLmTest {
    private static final int B = 2;
    private static final int T = 4;

    private static ModelConfig tiny(double capacity) {
        return ModelConfig.builder().family("moe").vocabSize(11).dModel(8).nLayers(2).nHeads(2).dHead(4)
                .contextLength(16).moe(new MoeSettings(4, 2, 5, capacity, true, 0.1, 0.01)).build();
    }

    @Test
    void wholeModelGradientWithAndWithoutCapacityDropping() {
        for (double capacity : new double[] {0.0, 0.6}) {
            LanguageModel m = ModelFactory.create(tiny(capacity), 3, DataType.DOUBLE);
            GradCheck.randomizeParams(m.params(), 4, 0.9);
            int[] tok = MoeutLmTest.tokens(5, 11);
            m.params().zeroGrads();
            StepStats st = m.forwardBackward(tok, B, T + 1);
            RoutingStats rs = m.drainRoutingStats();
            assertTrue(st.auxLoss() > 0);
            DoubleSupplier loss = () -> {
                EvalStats e = m.evaluate(tok, B, T + 1);
                return e.meanLoss() + e.auxLoss();
            };
            assertEquals(st.totalLoss(), loss.getAsDouble(), 1e-12);
            long routed = rs.load("layers.0.ffn", 0).slots();
            assertEquals(capacity == 0, routed == 2L * B * T, "capacity " + capacity + " routed " + routed);
            GradCheck.checkAllParams(m.params(), loss, 3);
            DirectionalGradCheck.checkAllParams(m.params(), loss);
        }
    }

    @Test
    void executedMacsCountOnlyRoutedSlots() {
        LanguageModel dropless = ModelFactory.create(tiny(0.0), 1);
        LanguageModel capped = ModelFactory.create(tiny(0.5), 1);
        int[] tok = MoeutLmTest.tokens(2, 11);
        StepStats a = dropless.forwardBackward(tok, B, T + 1);
        assertEquals(a.scalars().get("analytic_macs_per_token"), a.scalars().get("executed_macs_per_token"), 1e-9);
        StepStats c = capped.forwardBackward(tok, B, T + 1);
        RoutingStats rs = capped.drainRoutingStats();
        long dropped = 2L * 2 * B * T - rs.moduleTotal("layers.0.ffn").slots() - rs.moduleTotal("layers.1.ffn").slots();
        assertTrue(dropped > 0);
        assertEquals(c.scalars().get("analytic_macs_per_token") - dropped * 2.0 * 8 * 5 / (B * T),
                c.scalars().get("executed_macs_per_token"), 1e-9);
    }

    @Test
    void perTokenFlopsHistogramSumsToExecutedMacs() {
        LanguageModel capped = ModelFactory.create(tiny(0.5), 1);
        int[] tok = MoeutLmTest.tokens(2, 11);
        StepStats c = capped.forwardBackward(tok, B, T + 1);
        Histogram flops = capped.drainComputeHistograms().get("flops");
        assertEquals(B * T, flops.count());
        assertEquals(2 * c.scalars().get("executed_macs_per_token"), flops.mean(), 1e-6);
        assertTrue(flops.toValue().max() > flops.toValue().min(), "capacity dropping makes per-token FLOPs vary");
        assertTrue(capped.drainComputeHistograms().isEmpty(), "drained");
    }
}
