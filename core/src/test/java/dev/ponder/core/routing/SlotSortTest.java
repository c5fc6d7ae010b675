package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SlotSortTest {
    @Test
    void groupsByKeyStablyAndLeavesOutNegativeKeys() {
        int[] keys = {2, 0, 2, -1, 1, 0, 2};
        SlotSort.Sorted s = SlotSort.byKey(keys, 4);
        assertArrayEquals(new int[] {1, 5, 4, 0, 2, 6}, s.order());
        assertArrayEquals(new int[] {0, 2, 3, 6, 6}, s.offsets());
        assertEquals(0, s.count(3));
        assertEquals(3, s.count(2));
    }

    @Test
    void rejectsKeysOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> SlotSort.byKey(new int[] {0, 4}, 4));
    }
}
