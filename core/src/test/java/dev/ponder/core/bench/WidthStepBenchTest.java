package dev.ponder.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.model.FlopCount;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.width.Width;
import org.junit.jupiter.api.Test;

class WidthStepBenchTest {
    @Test
    void rowsCarryTheExecutedFlopsOfEachWidth() {
        ModelConfig c = ModelConfig.builder().family("sharcs").vocabSize(32).dModel(16).nLayers(2).nHeads(4).dFf(32)
                .contextLength(16).build();
        WidthStepBench.Result r = WidthStepBench.run(c, 2, 8, 0, 3, 1);
        assertEquals(3, r.rows().size());
        Width quarter = c.sharcs().shapes(16, 4, 32).get(0);
        double router = FlopCount.sharcsRouterMacsPerRow(c) / 8.0;
        assertEquals(2 * (FlopCount.sharcsBlocksMacsPerToken(c, quarter, 8) + router + 4 * 32),
                r.rows().get(0).forwardFlopsPerToken(), 1e-9);
        assertEquals(1.0, r.rows().get(2).flopReduction(), 0);
        assertTrue(r.rows().get(0).flopReduction() > r.rows().get(1).flopReduction());
        for (WidthStepBench.Row row : r.rows()) {
            assertTrue(row.times().step() > 0 && row.times().inference() > 0 && row.speedup().step() > 0, row.toString());
        }
        assertEquals(1.0, r.rows().get(2).speedup().model(), 0);
    }

    @Test
    void workersStepTheirOwnReplicasSideBySide() {
        ModelConfig c = ModelConfig.builder().family("sharcs").vocabSize(32).dModel(16).nLayers(2).nHeads(4).dFf(32)
                .contextLength(16).build();
        WidthStepBench.Result one = WidthStepBench.run(c, 2, 8, 0, 2, 1);
        WidthStepBench.Result two = WidthStepBench.run(c, 2, 8, 1, 2, 1, 2, 1);
        assertEquals(1, one.workers());
        assertEquals(2, two.workers());
        assertEquals(one.parameters(), two.parameters());
        for (int i = 0; i < 3; i++) {
            WidthStepBench.Row row = two.rows().get(i);
            assertEquals(one.rows().get(i).flopReduction(), row.flopReduction(), 0);
            assertTrue(row.times().step() >= row.times().model() && row.times().optimizer() > 0
                    && row.times().inference() > 0, row.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> WidthStepBench.run(c, 2, 8, 0, 1, 1, 2, 0));
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2.0, WidthStepBench.median(new double[] {3, 1, 2}), 0);
        assertEquals(2.5, WidthStepBench.median(new double[] {4, 1, 3, 2}), 0);
    }
}
