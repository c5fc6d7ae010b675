package dev.ponder.core.width;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ConfidenceHistoryTest {
    @Test
    void keepsTheLastWindowConfidencesAndCountsEveryVisit() {
        ConfidenceHistory h = new ConfidenceHistory(3);
        ConfidenceHistory.Visits round1 = new ConfidenceHistory.Visits();
        round1.add(7L, 0.1);
        round1.add(9L, 0.5);
        round1.add(7L, 0.2);
        h.apply(round1);
        assertEquals(2, h.get(7L).visits());
        assertArrayEquals(new float[] {0.1f, 0.2f}, h.get(7L).recent());
        ConfidenceHistory.Visits round2 = new ConfidenceHistory.Visits();
        round2.add(7L, 0.3);
        round2.add(7L, 0.4);
        h.apply(round2);
        assertEquals(4, h.get(7L).visits());
        assertArrayEquals(new float[] {0.2f, 0.3f, 0.4f}, h.get(7L).recent());
        assertEquals(0.2, h.get(7L).min(), 1e-7);
        assertEquals(0.4, h.get(7L).max(), 1e-7);
        assertNull(h.get(8L));
    }

    @Test
    void lookupSeesThisRoundsVisitsWithoutChangingTheSharedHistory() {
        ConfidenceHistory h = new ConfidenceHistory(2);
        ConfidenceHistory.Visits before = new ConfidenceHistory.Visits();
        before.add(1L, 0.9);
        h.apply(before);
        ConfidenceHistory.Entry stored = h.get(1L);
        ConfidenceHistory.Visits pending = new ConfidenceHistory.Visits();
        pending.add(1L, 0.7);
        pending.add(2L, 0.3);
        assertEquals(2, h.lookup(1L, pending).visits());
        assertArrayEquals(new float[] {0.9f, 0.7f}, h.lookup(1L, pending).recent());
        assertEquals(1, h.lookup(2L, pending).visits());
        assertSame(stored, h.get(1L));
        assertNull(h.get(2L));
    }

    @Test
    void mergedVisitsAndTheBinaryFormRoundTrip() {
        ConfidenceHistory.Visits a = new ConfidenceHistory.Visits();
        a.add(1L, 0.25);
        ConfidenceHistory.Visits b = new ConfidenceHistory.Visits();
        b.add(2L, 0.5);
        b.add(1L, 0.75);
        a.merge(b);
        assertArrayEquals(new float[] {0.25f, 0.75f}, a.of(1L));
        ConfidenceHistory h = new ConfidenceHistory(3);
        h.apply(a);
        ConfidenceHistory back = ConfidenceHistory.decode(h.encode());
        assertEquals(3, back.window());
        assertEquals(2, back.size());
        assertArrayEquals(h.get(1L).recent(), back.get(1L).recent());
        assertEquals(h.get(2L).visits(), back.get(2L).visits());
    }
}
