package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.spark.bench.ClusterTraining;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchScalingTest {
    static ClusterTraining.Result run(int... executors) {
        List<ClusterTraining.Round> rounds = new ArrayList<>();
        for (int i = 0; i < executors.length; i++) {
            // round i: local steps i + 1 seconds, so the split can be told apart
            rounds.add(new ClusterTraining.Round(16L * i, i + 1.5, 0.1, i + 1, 0.2, 0.5, 0.01, 0.0, i + 1, executors[i]));
        }
        return new ClusterTraining.Result(1000, 4096, rounds, 0);
    }

    @Test
    void anAlternatingRunSplitsIntoItsTwoLayoutsWithTheirOwnWarmup() {
        ClusterTraining.Result both = run(1, 2, 1, 2, 1, 2);
        assertDoesNotThrow(() -> BenchScaling.checkAlternates(both, "128x2", 1));
        ClusterTraining.Result one = both.onExecutors(1, 1);
        ClusterTraining.Result two = both.onExecutors(2, 1);
        assertEquals(List.of(3.0, 5.0), one.measured().stream().map(ClusterTraining.Round::local).toList());
        assertEquals(List.of(4.0, 6.0), two.measured().stream().map(ClusterTraining.Round::local).toList());
        assertEquals(4096 * 2 / (3.5 + 5.5), one.tokensPerSecond(), 1e-9); // rounds 2 and 4: 3.5 and 5.5 s
    }

    @Test
    void aRoundThatRanOnOtherExecutorsThanPlacedFailsTheBenchmark() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BenchScaling.checkAlternates(run(1, 2, 2, 2), "256x4", 1));
        assertTrue(e.getMessage().contains("256x4: round 2 was placed on 1 executor(s) but ran on 2"), e.getMessage());
    }
}
