package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TopCTest {
    @Test
    void capacityRoundsAndStaysInOneToT() {
        assertEquals(16, TopC.capacity(0.125, 128));
        assertEquals(1, TopC.capacity(0.125, 4));        // round(0.5) = 1
        assertEquals(1, TopC.capacity(0.01, 8), "at least one token");
        assertEquals(8, TopC.capacity(1.0, 8));
        assertEquals("capacity: expected a fraction in (0, 1], found 1.5",
                assertThrows(IllegalArgumentException.class, () -> TopC.capacity(1.5, 8)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TopC.capacity(0, 8));
    }

    @Test
    void selectsTheHighestScoresPerSequenceInPositionOrder() {
        double[] s = {0.1, 5, -1, 3, 2, /* seq 1 */ 9, 9, 0, 9, -3};
        assertArrayEquals(new int[] {1, 3, 4, /* ties go to earlier positions */ 5, 6, 8}, TopC.select(s, 2, 5, 3));
        assertArrayEquals(new int[] {1, 5}, TopC.select(s, 2, 5, 1));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, TopC.select(s, 2, 5, 5));
        boolean[] m = TopC.membership(TopC.select(s, 2, 5, 3), 10);
        assertArrayEquals(new boolean[] {false, true, false, true, true, true, true, false, true, false}, m);
    }

    @Test
    void marginIsTheSmallestGapAtTheCut() {
        double[] s = {0.1, 5, -1, 3, 2, 9, 8.5, 0, 9, -3};
        assertEquals(Math.min(2 - 0.1, 8.5 - 0), TopC.margin(s, 2, 5, 3), 1e-15);
        assertEquals(Double.MAX_VALUE, TopC.margin(s, 2, 5, 5));
        assertThrows(IllegalArgumentException.class, () -> TopC.select(s, 2, 5, 6));
    }
}
