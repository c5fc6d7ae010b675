package dev.ponder.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HistogramTest {
    @Test
    void defaultLimitsAreTensorFlows() {
        // 1e-12 * 1.1^k below 1e20 is 774 limits per side, plus DBL_MAX on each side and 0.
        assertEquals(2 * 775 + 1, Histogram.LIMITS.length);
        assertEquals(-Double.MAX_VALUE, Histogram.LIMITS[0]);
        assertEquals(0.0, Histogram.LIMITS[775]);
        assertEquals(1e-12, Histogram.LIMITS[776]);
        for (int i = 1; i < Histogram.LIMITS.length; i++) {
            assertTrue(Histogram.LIMITS[i] > Histogram.LIMITS[i - 1]);
        }
    }

    @Test
    void bucketIsTheFirstLimitAboveTheValue() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 2000; i++) {
            double x = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(-14, 22));
            int linear = 0;
            while (!(Histogram.LIMITS[linear] > x)) {
                linear++;
            }
            assertEquals(linear, Histogram.bucketOf(x), "value " + x);
        }
        assertEquals(775 + 1, Histogram.bucketOf(0.0), "0 falls in [0, 1e-12)");
    }

    /** Per-token values split over "executors" in any way and merged: identical to one pass, exact counts. */
    @Test
    void mergingIsExactAndOrderFree() {
        SplittableRandom r = new SplittableRandom(7);
        List<Double> xs = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            xs.add((double) r.nextInt(1, 13)); // integer depths: exactly representable sums
        }
        Histogram all = Histogram.integers();
        xs.forEach(all::add);
        Histogram[] parts = {Histogram.integers(), Histogram.integers(), Histogram.integers()};
        for (int i = 0; i < xs.size(); i++) {
            parts[(i * 7) % 3].add(xs.get(i));
        }
        Histogram ab = Histogram.integers().merge(parts[0]).merge(parts[1]).merge(parts[2]);
        Histogram ba = Histogram.integers().merge(parts[2]).merge(parts[0]).merge(parts[1]);
        for (Histogram m : new Histogram[] {ab, ba}) {
            HistogramValue v = m.toValue();
            HistogramValue w = all.toValue();
            assertArrayEquals(w.bucket(), v.bucket());
            assertArrayEquals(w.bucketLimit(), v.bucketLimit());
            assertEquals(w.sum(), v.sum());
            assertEquals(w.num(), v.num());
            assertEquals(all.bucketCounts(), m.bucketCounts());
        }
        assertEquals(5000, all.count());
        for (int d = 1; d <= 12; d++) {
            final double depth = d;
            long expected = xs.stream().filter(x -> x == depth).count();
            assertEquals(expected, all.bucketCounts().get((long) d), "tokens at depth " + d);
        }
        HistogramValue v = all.toValue();
        assertArrayEquals(new double[] {1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5}, v.bucketLimit());
    }

    @Test
    void integerBucketsMarkGapsWithOneEmptyBucket() {
        HistogramValue v = Histogram.integers().add(2, 3).add(5, 1).toValue();
        assertArrayEquals(new double[] {2.5, 4.5, 5.5}, v.bucketLimit());
        assertArrayEquals(new double[] {3, 0, 1}, v.bucket());
        assertEquals(2, v.min());
    }

    @Test
    void protoFormCollapsesRunsOfEmptyBuckets() {
        HistogramValue v = Histogram.exponential().add(1.0, 4).add(100.0, 2).toValue();
        // [empty up to 1's bucket][1's bucket][empty run][100's bucket][empty run up to DBL_MAX]
        assertArrayEquals(new double[] {0, 4, 0, 2, 0}, v.bucket());
        assertEquals(Histogram.LIMITS[Histogram.bucketOf(1.0) - 1], v.bucketLimit()[0]);
        assertEquals(Histogram.LIMITS[Histogram.bucketOf(1.0)], v.bucketLimit()[1]);
        assertEquals(Double.MAX_VALUE, v.bucketLimit()[4]);
        assertEquals(1.0, v.min());
        assertEquals(100.0, v.max());
        assertEquals(6, v.num());
        assertEquals(204, v.sum());
    }

    @Test
    void expertLoadStats() {
        ExpertLoadStats even = ExpertLoadStats.of(new long[] {5, 5, 5, 5});
        assertEquals(0, even.cv(), 1e-12);
        assertEquals(1, even.maxOverMean(), 1e-12);
        assertEquals(1, even.normalizedEntropy(), 1e-12);
        assertEquals(0, even.deadFraction());
        ExpertLoadStats skew = ExpertLoadStats.of(new long[] {20, 0, 0, 0});
        assertEquals(4, skew.maxOverMean(), 1e-12);
        assertEquals(0, skew.normalizedEntropy(), 1e-12);
        assertEquals(0.75, skew.deadFraction());
        assertEquals(Math.sqrt(3), skew.cv(), 1e-12);
    }
}
