package dev.ponder.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void warmupThenCosineToMinimum() {
        LrSchedule s = new LrSchedule(1e-3, 10, 110, 0.1);
        assertEquals(1e-4, s.lr(0), 1e-15);
        assertEquals(5e-4, s.lr(4), 1e-15);
        assertEquals(1e-3, s.lr(9), 1e-15);
        assertEquals(1e-3, s.lr(10), 1e-15);                 // cosine starts at the peak
        assertEquals(0.55e-3, s.lr(60), 1e-15);              // half way: (peak + min) / 2
        assertEquals(1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), 1e-15);
        assertEquals(1e-4, s.lr(110), 1e-15);
        assertEquals(1e-4, s.lr(1000), 1e-15);
    }

    @Test
    void noWarmupAndConstant() {
        LrSchedule s = new LrSchedule(2.5e-4, 0, 100, 0.1);   // MoEUT recipe
        assertEquals(2.5e-4, s.lr(0), 1e-15);
        assertEquals(2.5e-5, s.lr(100), 1e-15);
        assertEquals(0.3, LrSchedule.constant(0.3).lr(12345), 0);
    }

    @Test
    void rejectsBadValuesNamingTheKey() {
        assertEquals("train.lr: expected a positive finite number, found -1.0",
                assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, 0, 10, 0.1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1, 20, 10, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1, 0, 10, 1.5));
    }
}
