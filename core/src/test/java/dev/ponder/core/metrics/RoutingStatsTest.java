package dev.ponder.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class RoutingStatsTest {
    @Test
    void mergesByAdditionPerModuleAndRepeat() {
        RoutingStats a = RoutingStats.of("l0.ffn", 0, new int[] {3, 1, 0, 0}, new int[] {2, 2}, 1);
        RoutingStats b = RoutingStats.of("l0.ffn", 0, new int[] {1, 1, 2, 0}, new int[] {2, 1, 1}, 1);
        RoutingStats c = RoutingStats.of("l0.ffn", 1, new int[] {0, 0, 0, 4}, new int[] {2, 2}, 1);
        RoutingStats m = a.merge(b).merge(c);
        RoutingStats.Load l = m.load("l0.ffn", 0);
        assertArrayEquals(new long[] {4, 2, 2, 0}, l.perExpert());
        assertEquals(5, l.tokens());
        assertArrayEquals(new long[] {0, 2, 3}, l.executedPerToken());
        assertEquals(2, m.loads().size());
        assertArrayEquals(new long[] {4, 2, 2, 4}, m.moduleTotal("l0.ffn").perExpert());
        assertEquals(a.merge(b), b.merge(a));
        assertSame(a, a.merge(RoutingStats.EMPTY));
        assertArrayEquals(new long[] {3, 1, 0, 0}, a.load("l0.ffn", 0).perExpert(), "merge leaves its inputs alone");
    }

    @Test
    void balanceStatistics() {
        RoutingStats.Load even = RoutingStats.of("m", 0, new int[] {2, 2, 2, 2}, new int[] {2, 2, 2, 2}, 1)
                .load("m", 0);
        assertEquals(0.0, even.coefficientOfVariation(), 1e-15);
        assertEquals(1.0, even.maxOverMean(), 1e-15);
        assertEquals(Math.log(4), even.entropy(), 1e-15);
        assertEquals(1.0, even.normalizedEntropy(), 1e-15);
        assertEquals(0.0, even.deadFraction());
        RoutingStats.Load skew = RoutingStats.of("m", 0, new int[] {6, 2, 0, 0}, new int[] {2, 2, 2, 2}, 1)
                .load("m", 0);
        assertEquals(3.0, skew.maxOverMean(), 1e-15);
        assertEquals(0.5, skew.deadFraction());
        assertEquals(Math.sqrt((16 + 0 + 4 + 4) / 4.0) / 2, skew.coefficientOfVariation(), 1e-15);
        assertEquals(2.0, skew.meanExecutedPerToken(), 1e-15);
    }

    @Test
    void perHeadRowsAreGroupedIntoTokens() {
        // 2 tokens x 3 heads, k = 2: token 0 ran 2 + 2 + 1 experts, token 1 ran 6
        RoutingStats s = RoutingStats.of("att.v", 0, new int[] {11}, new int[] {2, 2, 1, 2, 2, 2}, 3);
        assertEquals(2, s.load("att.v", 0).tokens());
        long[] h = s.load("att.v", 0).executedPerToken();
        assertEquals(1, h[5]);
        assertEquals(1, h[6]);
    }

    @Test
    void serializesForSpark() throws Exception {
        RoutingStats s = RoutingStats.of("l0.ffn", 2, new int[] {3, 1}, new int[] {2, 2}, 1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(s, in.readObject());
        }
        assertTrue(RoutingStats.EMPTY.isEmpty());
    }
}
