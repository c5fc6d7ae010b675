package dev.ponder.core.metrics;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A mergeable histogram of per-token values (depth, width, experts, FLOPs). Counts are exact and
 * merging is addition, so executors can each fill one and the driver sums them in any order: the
 * result never depends on how tokens were split (no averages of averages). Only non-empty buckets
 * are stored, which keeps a task's result small. Two bucketings: TensorFlow's default limits
 * (±1e-12 x 1.1^k up to 1e20, and 0) for continuous values such as FLOPs or width, and one
 * bucket per integer (limits k + 0.5) for counts such as depth or experts, which the 10% wide
 * default buckets would lump together above 10.
 */
public final class Histogram implements Serializable {
    private static final long serialVersionUID = 2L;
    static final double[] LIMITS = defaultLimits();

    private final boolean integers;
    private final TreeMap<Long, Long> counts = new TreeMap<>();
    private long num;
    private double sum;
    private double sumSquares;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;

    private Histogram(boolean integers) {
        this.integers = integers;
    }

    /** TensorFlow's default buckets, for continuous values. */
    public static Histogram exponential() {
        return new Histogram(false);
    }

    /** One bucket per integer, for counts (values are rounded to the nearest integer). */
    public static Histogram integers() {
        return new Histogram(true);
    }

    private static double[] defaultLimits() {
        List<Double> pos = new ArrayList<>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) {
            pos.add(v);
        }
        pos.add(Double.MAX_VALUE);
        double[] l = new double[2 * pos.size() + 1];
        for (int i = 0; i < pos.size(); i++) {
            l[pos.size() - 1 - i] = -pos.get(i);
            l[pos.size() + 1 + i] = pos.get(i);
        }
        l[pos.size()] = 0.0;
        return l;
    }

    /** Records {@code count} tokens with value {@code value}. */
    public Histogram add(double value, long count) {
        if (count <= 0) {
            return this;
        }
        counts.merge(integers ? Math.round(value) : (long) bucketOf(value), count, Long::sum);
        num += count;
        sum += value * count;
        sumSquares += value * value * count;
        min = Math.min(min, value);
        max = Math.max(max, value);
        return this;
    }

    public Histogram add(double value) {
        return add(value, 1);
    }

    /** An independent copy (same bucketing and counts). */
    public Histogram copy() {
        return new Histogram(integers).merge(this);
    }

    /** Adds {@code other} into this one and returns this. */
    public Histogram merge(Histogram other) {
        if (other.integers != integers) {
            throw new IllegalArgumentException("histogram merge: expected the same bucketing, found integer="
                    + integers + " and integer=" + other.integers);
        }
        other.counts.forEach((b, c) -> counts.merge(b, c, Long::sum));
        num += other.num;
        sum += other.sum;
        sumSquares += other.sumSquares;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        return this;
    }

    /** The index of the first limit above {@code value}: TensorFlow's upper_bound rule. */
    static int bucketOf(double value) {
        int lo = 0;
        int hi = LIMITS.length - 1; // the last limit (DBL_MAX) catches everything
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (LIMITS[mid] > value) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    public long count() {
        return num;
    }

    /** Whether this histogram has one bucket per integer ({@link #integers()}). */
    public boolean isIntegers() {
        return integers;
    }

    public double mean() {
        return num == 0 ? Double.NaN : sum / num;
    }

    /** Exact count per stored bucket index (for tests and merges). */
    Map<Long, Long> bucketCounts() {
        return java.util.Collections.unmodifiableMap(counts);
    }

    /** The right edge of bucket {@code key}. */
    private double limit(long key) {
        return integers ? key + 0.5 : LIMITS[(int) key];
    }

    /**
     * The HistogramProto form, as TensorFlow encodes it: each non-empty bucket, and one empty
     * bucket standing for every run of empty buckets before it (so every bar has a left edge).
     */
    public HistogramValue toValue() {
        List<double[]> rows = new ArrayList<>();
        Long previous = null;
        for (Map.Entry<Long, Long> e : counts.entrySet()) {
            long key = e.getKey();
            boolean gap = previous == null ? !integers && key > 0 : key > previous + 1;
            if (gap) {
                rows.add(new double[] {limit(key - 1), 0});
            }
            rows.add(new double[] {limit(key), e.getValue()});
            previous = key;
        }
        if (!integers && (previous == null || previous < LIMITS.length - 1)) {
            rows.add(new double[] {LIMITS[LIMITS.length - 1], 0});
        }
        double[] limits = new double[rows.size()];
        double[] buckets = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            limits[i] = rows.get(i)[0];
            buckets[i] = rows.get(i)[1];
        }
        return new HistogramValue(num == 0 ? 0 : min, num == 0 ? 0 : max, num, sum, sumSquares, limits, buckets);
    }
}
