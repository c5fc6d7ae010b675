package dev.ponder.spark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.scheduler.ExecutorCacheTaskLocation;
import org.apache.spark.scheduler.TaskLocation$;
import org.junit.jupiter.api.Test;

class AlternatingPlacementTest {
    static final String A = AlternatingPlacement.location("127.0.0.1", "0");
    static final String B = AlternatingPlacement.location("127.0.0.1", "1");

    @Test
    void evenRoundsPutEveryTaskOnOneExecutorTakingTurnsAndOddRoundsSpreadThem() {
        AlternatingPlacement p = new AlternatingPlacement(List.of(A, B), 1);
        assertEquals(List.of(List.of(A), List.of(A)), p.locations(0, 2));
        assertEquals(List.of(List.of(A), List.of(B)), p.locations(1, 2));
        assertEquals(List.of(List.of(B), List.of(B)), p.locations(2, 2));
        assertEquals(List.of(List.of(A), List.of(B)), p.locations(3, 2));
        assertEquals(List.of(List.of(A), List.of(A), List.of(A)), p.locations(4, 3));
        assertEquals(List.of(List.of(A), List.of(B), List.of(A)), p.locations(5, 3));
        assertTrue(AlternatingPlacement.oneExecutorRound(0, 1) && !AlternatingPlacement.oneExecutorRound(1, 1));
    }

    @Test
    void blocksKeepALayoutForSeveralRounds() {
        AlternatingPlacement p = new AlternatingPlacement(List.of(A, B), 3);
        List<List<List<String>>> rounds = new java.util.ArrayList<>();
        for (int r = 0; r < 12; r++) {
            rounds.add(p.locations(r, 2));
        }
        List<List<String>> onA = List.of(List.of(A), List.of(A));
        List<List<String>> onB = List.of(List.of(B), List.of(B));
        List<List<String>> spread = List.of(List.of(A), List.of(B));
        assertEquals(List.of(onA, onA, onA, spread, spread, spread, onB, onB, onB, spread, spread, spread), rounds);
        assertTrue(AlternatingPlacement.oneExecutorRound(2, 3) && !AlternatingPlacement.oneExecutorRound(3, 3));
    }

    @Test
    void locationsAreWhatSparkParsesAsAnExecutorCacheLocation() {
        ExecutorCacheTaskLocation e = assertInstanceOf(ExecutorCacheTaskLocation.class, TaskLocation$.MODULE$.apply(B));
        assertEquals("127.0.0.1", e.host());
        assertEquals("1", e.executorId());
    }

    @Test
    void oneExecutorCannotAlternate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AlternatingPlacement(List.of(A), 1));
        assertTrue(e.getMessage().contains("at least 2 executors"), e.getMessage());
    }
}
