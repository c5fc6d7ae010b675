package dev.ponder.core.metrics;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Expert load per routed module and repeat (MODELS.md section 5), as plain counts so that steps,
 * partitions and workers merge by addition (like an MLlib aggregator: immutable values,
 * {@link #merge} returns the sum). For each [module, repeat]: tokens per expert, routed rows, and a
 * histogram of experts executed per token. Derived statistics per key: coefficient of variation,
 * max / mean, entropy of the load (raw and normalised by ln E) and the share of dead experts (no
 * tokens in the window covered).
 */
public final class RoutingStats implements Serializable {
    private static final long serialVersionUID = 1L;

    /** No routing recorded (dense models). */
    public static final RoutingStats EMPTY = new RoutingStats(new TreeMap<>());

    /** A routed module (e.g. "transformer.layers.0.ffn") at one repeat of a shared group (0 if not shared). */
    public record Key(String module, int repeat) implements Comparable<Key>, Serializable {
        public Key {
            Objects.requireNonNull(module, "module");
        }

        @Override
        public int compareTo(Key o) {
            int c = module.compareTo(o.module);
            return c != 0 ? c : Integer.compare(repeat, o.repeat);
        }

        @Override
        public String toString() {
            return module + "@" + repeat;
        }
    }

    /**
     * Counts of one key: {@code perExpert[e]} token slots routed to expert e, {@code tokens} tokens
     * seen, {@code executedPerToken[j]} tokens that ran j experts in this module.
     */
    public record Load(long[] perExpert, long tokens, long[] executedPerToken) implements Serializable {
        public Load {
            perExpert = perExpert.clone();
            executedPerToken = executedPerToken.clone();
        }

        @Override
        public long[] perExpert() {
            return perExpert.clone();
        }

        @Override
        public long[] executedPerToken() {
            return executedPerToken.clone();
        }

        public long slots() {
            long s = 0;
            for (long c : perExpert) {
                s += c;
            }
            return s;
        }

        /** Population standard deviation of the per-expert counts over their mean. */
        public double coefficientOfVariation() {
            double mean = (double) slots() / perExpert.length;
            double var = 0;
            for (long c : perExpert) {
                var += (c - mean) * (c - mean);
            }
            return mean == 0 ? Double.NaN : Math.sqrt(var / perExpert.length) / mean;
        }

        public double maxOverMean() {
            double mean = (double) slots() / perExpert.length;
            return mean == 0 ? Double.NaN : Arrays.stream(perExpert).max().orElse(0) / mean;
        }

        /** Entropy (nats) of the load distribution over experts; ln E when perfectly even. */
        public double entropy() {
            double total = slots();
            double h = 0;
            for (long c : perExpert) {
                if (c > 0) {
                    h -= c / total * Math.log(c / total);
                }
            }
            return total == 0 ? Double.NaN : h;
        }

        /** Entropy over ln E (1 = perfectly even). */
        public double normalizedEntropy() {
            return perExpert.length > 1 ? entropy() / Math.log(perExpert.length) : 1.0;
        }

        /** Share of experts that got no token. */
        public double deadFraction() {
            long dead = Arrays.stream(perExpert).filter(c -> c == 0).count();
            return (double) dead / perExpert.length;
        }

        /** Mean experts executed per token. */
        public double meanExecutedPerToken() {
            return tokens == 0 ? Double.NaN : (double) slots() / tokens;
        }

        Load plus(Load o) {
            if (o.perExpert.length != perExpert.length) {
                throw new IllegalArgumentException("routing stats merge: expected " + perExpert.length
                        + " experts, found " + o.perExpert.length);
            }
            long[] e = perExpert.clone();
            for (int i = 0; i < e.length; i++) {
                e[i] += o.perExpert[i];
            }
            long[] h = Arrays.copyOf(executedPerToken, Math.max(executedPerToken.length, o.executedPerToken.length));
            for (int i = 0; i < o.executedPerToken.length; i++) {
                h[i] += o.executedPerToken[i];
            }
            return new Load(e, tokens + o.tokens, h);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Load l && l.tokens == tokens && Arrays.equals(l.perExpert, perExpert)
                    && Arrays.equals(l.executedPerToken, executedPerToken);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(perExpert) * 31 + Long.hashCode(tokens);
        }

        @Override
        public String toString() {
            return "Load" + Arrays.toString(perExpert) + " tokens=" + tokens + " executed=" + Arrays.toString(executedPerToken);
        }
    }

    private final TreeMap<Key, Load> loads;

    private RoutingStats(TreeMap<Key, Load> loads) {
        this.loads = loads;
    }

    /**
     * One routing call: {@code perExpert} slots per expert, and {@code executedPerRow} experts run by
     * each routing row, where {@code rowsPerToken} consecutive rows belong to one token (1 for an
     * FFN, H for SwitchHead's per-head routers).
     */
    public static RoutingStats of(String module, int repeat, int[] perExpert, int[] executedPerRow, int rowsPerToken) {
        if (rowsPerToken < 1 || executedPerRow.length % rowsPerToken != 0) {
            throw new IllegalArgumentException("routing stats: expected rows to group by " + rowsPerToken
                    + " per token, found " + executedPerRow.length + " rows");
        }
        int tokens = executedPerRow.length / rowsPerToken;
        int[] perToken = new int[tokens];
        int max = 0;
        for (int r = 0; r < executedPerRow.length; r++) {
            perToken[r / rowsPerToken] += executedPerRow[r];
        }
        for (int v : perToken) {
            max = Math.max(max, v);
        }
        long[] hist = new long[max + 1];
        for (int v : perToken) {
            hist[v]++;
        }
        long[] e = new long[perExpert.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = perExpert[i];
        }
        TreeMap<Key, Load> m = new TreeMap<>();
        m.put(new Key(module, repeat), new Load(e, tokens, hist));
        return new RoutingStats(m);
    }

    /** The sum of both (neither is modified). */
    public RoutingStats merge(RoutingStats other) {
        if (other.loads.isEmpty()) {
            return this;
        }
        if (loads.isEmpty()) {
            return other;
        }
        TreeMap<Key, Load> m = new TreeMap<>(loads);
        other.loads.forEach((k, v) -> m.merge(k, v, Load::plus));
        return new RoutingStats(m);
    }

    public boolean isEmpty() {
        return loads.isEmpty();
    }

    /** All keys with their loads, in (module, repeat) order. */
    public Map<Key, Load> loads() {
        return Collections.unmodifiableMap(loads);
    }

    public Load load(String module, int repeat) {
        return loads.get(new Key(module, repeat));
    }

    /** The loads of one module summed over its repeats (null if absent). */
    public Load moduleTotal(String module) {
        Load total = null;
        for (Map.Entry<Key, Load> e : loads.entrySet()) {
            if (e.getKey().module().equals(module)) {
                total = total == null ? e.getValue() : total.plus(e.getValue());
            }
        }
        return total;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutingStats r && r.loads.equals(loads);
    }

    @Override
    public int hashCode() {
        return loads.hashCode();
    }

    @Override
    public String toString() {
        return "RoutingStats" + loads;
    }
}
