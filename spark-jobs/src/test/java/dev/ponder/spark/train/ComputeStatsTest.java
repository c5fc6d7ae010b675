package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.metrics.HistogramValue;
import dev.ponder.spark.report.TensorBoardLog;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing statistics from two workers: merged by addition into the round's metrics record, exactly. */
class ComputeStatsTest {
    static RoundResult worker(int[] ffnLoad, int[] executedPerToken, int[] attLoad) {
        RoundResult r = new RoundResult(new float[1], new float[1], 1);
        r.tokens = executedPerToken.length;
        ComputeStats.addRouting(r, RoutingStats.of("layers.0.ffn", 0, ffnLoad, executedPerToken, 1));
        ComputeStats.addRouting(r, RoutingStats.of("layers.0.ffn", 1, ffnLoad, executedPerToken, 1));
        ComputeStats.addRouting(r, RoutingStats.of("layers.0.att", 0, attLoad, new int[] {2, 2, 2, 2}, 2));
        return r;
    }

    @Test
    void expertLoadAndExpertsPerTokenAreExactSums(@TempDir Path tmp) {
        RoundResult a = worker(new int[] {3, 0, 2, 1}, new int[] {2, 2, 1, 1}, new int[] {4, 4});
        RoundResult b = worker(new int[] {1, 0, 0, 5}, new int[] {3, 3}, new int[] {8, 0});
        Map<String, Object> m = ComputeStats.fields(a.merge(b));
        @SuppressWarnings("unchecked")
        Map<String, long[]> load = (Map<String, long[]>) m.get("expert_load");
        assertArrayEquals(new long[] {4, 0, 2, 6}, load.get("layers.0.ffn@0"));
        assertArrayEquals(new long[] {4, 0, 2, 6}, load.get("layers.0.ffn@1"));
        assertArrayEquals(new long[] {12, 4}, load.get("layers.0.att@0"));
        @SuppressWarnings("unchecked")
        Map<String, Object> experts = (Map<String, Object>) ((Map<String, Object>) m.get("histograms")).get("experts");
        HistogramValue h = HistogramValue.fromMap(experts);
        // ffn (two repeats): tokens ran 2,2,1,1 and 3,3 experts; attention: 2 rows of 2 per token -> 4.
        assertArrayEquals(new double[] {1.5, 2.5, 3.5, 4.5}, h.bucketLimit());
        assertArrayEquals(new double[] {4, 4, 4, 4}, h.bucket());
        assertEquals(16, h.num());

        Map<String, Object> record = new LinkedHashMap<>(m);
        record.put("step", 7L);
        TensorBoardLog tb = new TensorBoardLog(new org.apache.hadoop.fs.Path(tmp.toUri()), new Configuration());
        tb.addMetrics(record); // the same record charts without error (histograms and balance scalars)
        tb.flush();
        assertTrue(tmp.resolve("tb").toFile().list().length == 1);
    }

    @Test
    void denseRoundsHaveNoRoutingFields() {
        RoundResult r = new RoundResult(new float[1], new float[1], 1);
        assertTrue(ComputeStats.fields(r).isEmpty());
    }

    /** A MoD step's per-token compute reaches the round as blocks and flops histograms (exact counts). */
    @Test
    void modRoundsCarryBlocksAndFlopsPerToken() {
        dev.ponder.core.model.ModelConfig c = dev.ponder.core.model.ModelConfig.builder().family("mod").vocabSize(16)
                .dModel(8).nLayers(4).nHeads(2).contextLength(16)
                .mod(dev.ponder.core.model.ModSettings.defaults("dense").withCapacity(0.25)).build();
        dev.ponder.core.model.LanguageModel m = dev.ponder.core.model.ModelFactory.create(c, 1);
        RoundResult r = new RoundResult(new float[1], new float[1], 1);
        int[] tokens = new int[2 * 9];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % 16;
        }
        m.forwardBackward(tokens, 2, 9);
        r.tokens = 16;
        ComputeStats.record(m, 16, 8, r);
        @SuppressWarnings("unchecked")
        Map<String, Object> hs = (Map<String, Object>) ComputeStats.fields(r).get("histograms");
        HistogramValue blocks = HistogramValue.fromMap((Map<String, Object>) hs.get("blocks"));
        assertEquals(16, blocks.num());
        assertEquals(2 * 16 + 2 * 4, blocks.sum(), 1e-9, "2 full blocks for all 16 tokens, 2 routed for 2 of 8 each");
        assertTrue(hs.containsKey("flops"));
        assertTrue(!hs.containsKey("depth"), "MoD's depth is the blocks histogram");
    }
}
