package dev.ponder.core.width;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Each training window's confidence over its last {@code window} visits (SHARCS's training history,
 * MODELS.md section 3: for a LM the mean next-token probability of the window at the width it was
 * trained with), keyed by a stable id of the window (SharcsLm uses a 64-bit hash of its tokens).
 *
 * <p>Data flow on Spark: the driver owns the history; a round broadcasts it read-only; each replica
 * looks windows up through {@link #lookup(long, Visits)} with the {@link Visits} it recorded itself
 * this round, and returns those visits with the round's result; the driver {@link #apply}s them.
 * Executors thus hold no state between tasks, and a rerun task records the same visits.
 *
 * <p>Size: one entry per distinct window trained so far (8-byte key, visit count, at most
 * {@code window} floats), broadcast every round; about 0.1 GB per million windows.
 */
public final class ConfidenceHistory implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Visits of one window: how many in total, and the confidences of the last ones, oldest first. */
    public record Entry(int visits, float[] recent) implements Serializable {
        /** The smallest recent confidence. */
        public double min() {
            double m = Double.POSITIVE_INFINITY;
            for (float c : recent) {
                m = Math.min(m, c);
            }
            return m;
        }

        public double max() {
            double m = Double.NEGATIVE_INFINITY;
            for (float c : recent) {
                m = Math.max(m, c);
            }
            return m;
        }

        Entry plus(float[] more, int window) {
            float[] all = Arrays.copyOf(recent, recent.length + more.length);
            System.arraycopy(more, 0, all, recent.length, more.length);
            float[] last = Arrays.copyOfRange(all, Math.max(0, all.length - window), all.length);
            return new Entry(visits + more.length, last);
        }
    }

    /**
     * Confidences recorded by one replica (or the merged replicas) during a round, per window in
     * visit order; merged by concatenation (partitions read disjoint windows, so a window's visits
     * of one round come from one partition).
     */
    public static final class Visits implements Serializable {
        private static final long serialVersionUID = 1L;
        private final LinkedHashMap<Long, float[]> byKey = new LinkedHashMap<>();

        public void add(long key, double confidence) {
            byKey.merge(key, new float[] {(float) confidence}, Visits::concat);
        }

        public Visits merge(Visits other) {
            other.byKey.forEach((k, v) -> byKey.merge(k, v, Visits::concat));
            return this;
        }

        /** This round's confidences of {@code key} in visit order (empty when none). */
        public float[] of(long key) {
            float[] v = byKey.get(key);
            return v == null ? new float[0] : v;
        }

        public int windows() {
            return byKey.size();
        }

        public boolean isEmpty() {
            return byKey.isEmpty();
        }

        private static float[] concat(float[] a, float[] b) {
            float[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }
    }

    private static final Entry NEVER = new Entry(0, new float[0]);

    private final int window;
    private final HashMap<Long, Entry> entries = new HashMap<>();

    public ConfidenceHistory(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("model.sharcs_history: expected an integer >= 1, found " + window);
        }
        this.window = window;
    }

    public int window() {
        return window;
    }

    public int size() {
        return entries.size();
    }

    /** The stored entry of {@code key}, or null when the window was never visited. */
    public Entry get(long key) {
        return entries.get(key);
    }

    /** The entry of {@code key} with this round's {@code pending} visits appended (null if none at all). */
    public Entry lookup(long key, Visits pending) {
        Entry e = entries.get(key);
        float[] more = pending == null ? new float[0] : pending.of(key);
        if (more.length == 0) {
            return e;
        }
        return (e == null ? NEVER : e).plus(more, window);
    }

    /** Appends a round's visits (driver side). */
    public void apply(Visits visits) {
        visits.byKey.forEach((k, v) -> entries.put(k, entries.getOrDefault(k, NEVER).plus(v, window)));
    }

    /** Binary form for checkpoints: window, count, then (key, visits, n, n floats) per entry. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(window);
            out.writeInt(entries.size());
            for (Map.Entry<Long, Entry> e : entries.entrySet()) {
                out.writeLong(e.getKey());
                out.writeInt(e.getValue().visits());
                out.writeInt(e.getValue().recent().length);
                for (float c : e.getValue().recent()) {
                    out.writeFloat(c);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static ConfidenceHistory decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            ConfidenceHistory h = new ConfidenceHistory(in.readInt());
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                long key = in.readLong();
                int visits = in.readInt();
                float[] recent = new float[in.readInt()];
                for (int j = 0; j < recent.length; j++) {
                    recent[j] = in.readFloat();
                }
                h.entries.put(key, new Entry(visits, recent));
            }
            return h;
        } catch (IOException e) {
            throw new IllegalArgumentException("confidence history: not a valid encoding (" + e.getMessage() + ")", e);
        }
    }
}
