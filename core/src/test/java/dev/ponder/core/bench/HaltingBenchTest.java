package dev.ponder.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.SutSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class HaltingBenchTest {
    private static final ModelConfig SUT = ModelConfig.builder().family("sut").vocabSize(50).dModel(16).nLayers(6)
            .nHeads(2).dHead(8).contextLength(16).sut(new SutSettings(4, 16, 2, 3, 2, 0.999, 0.01, 0.001, false)).build();

    @Test
    void bisectionFindsTheLargestTauAtTheTargetDepthAndRowsFollowTau() {
        float[] params = HaltingBench.parameters(SUT, null, 1.0, 3);
        int[] tokens = HaltingBench.tokens(50, 4, 16, 4);
        double tau = HaltingBench.tauForDepth(SUT, params, 3.0, tokens, 4, 16, 3);
        assertTrue(HaltingBench.meanDepth(SUT, params, tau, tokens, 4, 16, 3) <= 3.0);
        assertTrue(HaltingBench.meanDepth(SUT, params, Math.min(1, tau + 2e-4), tokens, 4, 16, 3) > 3.0, "tau " + tau);
        HaltingBench.Result r = HaltingBench.run(SUT, params, new double[] {1.0, tau}, tokens, 4, 16, 0, 3, 3);
        HaltingBench.Row full = r.rows().get(0);
        HaltingBench.Row half = r.rows().get(1);
        assertEquals(6.0, full.meanDepth(), 0.0);
        assertTrue(half.meanDepth() <= 3.0);
        assertTrue(half.stepFlopsPerToken() < 0.6 * full.stepFlopsPerToken(), full + " vs " + half);
        double share = 0;
        for (double s : half.depthShare()) {
            share += s;
        }
        assertEquals(1.0, share, 1e-12);
        assertTrue(half.depthShare()[3] < 1.0, "depth varies per token with a random gate");
        List<String> table = HaltingBench.table(r);
        assertEquals(4, table.size(), table.toString());
    }
}
