package dev.ponder.core.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A histogram in TensorBoard's HistogramProto shape: {@code bucket[i]} counts the values in
 * [{@code bucketLimit[i-1]}, {@code bucketLimit[i]}) (the first bucket starts at {@code min}).
 * The same shape is stored in metrics.jsonl ({@link #toMap()}, snake_case keys as in the proto),
 * so the TensorBoard file and the HTML report can both be rebuilt from it.
 */
public record HistogramValue(double min, double max, double num, double sum, double sumSquares,
        double[] bucketLimit, double[] bucket) {

    public HistogramValue {
        if (bucketLimit.length != bucket.length) {
            throw new IllegalArgumentException("histogram: expected as many bucket limits as buckets, found "
                    + bucketLimit.length + " and " + bucket.length);
        }
    }

    /**
     * A histogram of expert indices weighted by tokens: one bucket per expert (limits e + 0.5),
     * so TensorBoard shows the load of each expert as the height of its bar.
     */
    public static HistogramValue ofCounts(long[] counts) {
        double[] limits = new double[counts.length];
        double[] buckets = new double[counts.length];
        double num = 0;
        double sum = 0;
        double sumSq = 0;
        double min = Double.NaN;
        double max = Double.NaN;
        for (int e = 0; e < counts.length; e++) {
            limits[e] = e + 0.5;
            buckets[e] = counts[e];
            num += counts[e];
            sum += (double) e * counts[e];
            sumSq += (double) e * e * counts[e];
            if (counts[e] > 0) {
                min = Double.isNaN(min) ? e : min;
                max = e;
            }
        }
        return new HistogramValue(Double.isNaN(min) ? 0 : min, Double.isNaN(max) ? 0 : max, num, sum, sumSq,
                limits, buckets);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("min", min);
        m.put("max", max);
        m.put("num", num);
        m.put("sum", sum);
        m.put("sum_squares", sumSquares);
        m.put("bucket_limit", bucketLimit);
        m.put("bucket", bucket);
        return m;
    }

    /** The inverse of {@link #toMap()}; accepts what Jackson reads back (lists of numbers). */
    public static HistogramValue fromMap(Map<?, ?> m) {
        return new HistogramValue(num(m, "min"), num(m, "max"), num(m, "num"), num(m, "sum"), num(m, "sum_squares"),
                doubles(m.get("bucket_limit")), doubles(m.get("bucket")));
    }

    private static double num(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("histogram: expected a number at " + key + ", found " + v);
        }
        return n.doubleValue();
    }

    private static double[] doubles(Object v) {
        if (v instanceof double[] d) {
            return d;
        }
        if (v instanceof List<?> l) {
            double[] d = new double[l.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = ((Number) l.get(i)).doubleValue();
            }
            return d;
        }
        throw new IllegalArgumentException("histogram: expected a list of numbers, found " + v);
    }
}
