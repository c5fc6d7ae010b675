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
}
