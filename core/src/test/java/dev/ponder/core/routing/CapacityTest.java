package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;

class CapacityTest {
    @Test
    void dropsOverflowGivingFirstChoicesPriority() {
        // 4 rows, k = 2, E = 2: capacity = ceil(0.5 * 4 * 2 / 2) = 2 per expert
        int[] experts = {0, 1, 0, 1, 0, 1, 1, 0};
        Routing r = Routing.of(GradCheck.random(1, 4, 2), experts, 2);
        Routing limited = Capacity.limit(r, 0.5);
        // first choices (0, 0, 0, 1): rows 0, 1 get expert 0, row 2 overflows, row 3 gets 1;
        // second choices (1, 1, 1, 0): row 0 takes the last place of expert 1, rows 1 and 2 overflow,
        // and row 3 overflows expert 0 (full after rows 0 and 1)
        assertArrayEquals(new int[] {0, 1, 0, -1, -1, -1, 1, -1}, limited.experts());
        assertArrayEquals(new int[] {2, 2}, limited.counts());
        assertArrayEquals(new int[] {2, 1, 0, 1}, limited.routedPerRow());
    }

    @Test
    void droplessAndLargeFactorsKeepEverything() {
        Routing r = Routing.of(GradCheck.random(1, 4, 2), new int[] {0, 1, 0, 1, 0, 1, 1, 0}, 2);
        assertSame(r, Capacity.limit(r, 0));
        assertSame(r, Capacity.limit(r, 1.0));
        assertEquals(Integer.MAX_VALUE, Capacity.perExpert(0, 4, 2, 2));
        assertEquals(5, Capacity.perExpert(1.25, 4, 2, 2));
    }
}
