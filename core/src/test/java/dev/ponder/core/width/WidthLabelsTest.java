package dev.ponder.core.width;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The reference's bucket rule with its configs/main.yaml ranges: 0.25 [0.7, 1), 0.5 [0.4, 0.9), 1.0 [0, 0.5). */
class WidthLabelsTest {
    private final WidthLabels labels = new WidthLabels(List.of(new WidthLabels.Range(0.7, 1.0),
            new WidthLabels.Range(0.4, 0.9), new WidthLabels.Range(0.0, 0.5)), 3);

    private static ConfidenceHistory.Entry entry(int visits, float... recent) {
        return new ConfidenceHistory.Entry(visits, recent);
    }

    @Test
    void fullWidthOnlyDuringTheFirstWindowVisits() {
        boolean[] full = {false, false, true};
        assertArrayEquals(full, labels.labels(null));
        assertArrayEquals(full, labels.labels(entry(2, 0.95f, 0.95f)));
        assertArrayEquals(new boolean[] {true, false, false}, labels.labels(entry(3, 0.95f, 0.95f, 0.92f)));
    }

    @Test
    void minAndMaxOfTheRecentConfidencesMustBothFallInARange() {
        assertArrayEquals(new boolean[] {true, true, false}, labels.labels(entry(5, 0.75f, 0.8f, 0.85f)));
        assertArrayEquals(new boolean[] {false, true, true}, labels.labels(entry(4, 0.42f, 0.45f, 0.49f)));
        assertArrayEquals(new boolean[] {false, false, true}, labels.labels(entry(3, 0.1f, 0.2f, 0.3f)));
        // spans 0.45 .. 0.95: no single range holds both ends -> full width
        assertArrayEquals(new boolean[] {false, false, true}, labels.labels(entry(3, 0.45f, 0.95f, 0.6f)));
        // hi is exclusive, as in the reference (max < hi)
        assertArrayEquals(new boolean[] {false, false, true}, labels.labels(entry(3, 1.0f, 1.0f, 1.0f)));
        assertArrayEquals(new boolean[] {false, true, false}, labels.labelsOf(0.6));
    }

    @Test
    void pickIsUniformAmongTheLabels() {
        SplittableRandom r = new SplittableRandom(1);
        int[] counts = new int[3];
        for (int i = 0; i < 3000; i++) {
            counts[WidthLabels.pick(new boolean[] {true, false, true}, r)]++;
        }
        assertEquals(0, counts[1]);
        assertTrue(Math.abs(counts[0] - 1500) < 150 && Math.abs(counts[2] - 1500) < 150, counts[0] + " / " + counts[2]);
        assertEquals(1, WidthLabels.pick(new boolean[] {false, true, false}, r));
    }
}
