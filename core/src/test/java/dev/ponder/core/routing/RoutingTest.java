package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;

class RoutingTest {
    @Test
    void countsAndValidation() {
        Routing r = Routing.of(GradCheck.random(1, 3, 2), new int[] {0, 2, -1, 2, 1, 0}, 3);
        assertArrayEquals(new int[] {2, 1, 2}, r.counts());
        assertEquals(5, r.routedSlots());
        assertArrayEquals(new int[] {2, 1, 2}, r.routedPerRow());
        String msg = assertThrows(IllegalArgumentException.class,
                () -> new Routing(GradCheck.random(1, 3, 2), new int[] {0, 2, -1, 2, 1, 0}, new int[] {2, 2, 2})).getMessage();
        assertTrue(msg.contains("expected [2, 1, 2]"), msg);
        assertThrows(IllegalArgumentException.class, () -> Routing.of(GradCheck.random(1, 3, 2), new int[] {0, 1}, 3));
    }
}
