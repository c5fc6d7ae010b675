package dev.ponder.core.params;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ordered list of named tensors and their offsets in the flat buffers, in registration order.
 * Immutable; the checkpoint index and the safetensors export are written from {@link #specs()}.
 */
public final class ParamLayout {
    private final List<ParamSpec> specs;
    private final Map<String, ParamSpec> byName;
    private final long size;
    private final List<Range> decayRuns;

    /** A contiguous range of the flat buffers. */
    public record Range(long offset, long length) {}

    ParamLayout(List<ParamSpec> specs) {
        this.specs = List.copyOf(specs);
        Map<String, ParamSpec> m = new LinkedHashMap<>();
        long end = 0;
        for (ParamSpec s : specs) {
            m.put(s.name(), s);
            end = s.offset() + s.length();
        }
        this.byName = Collections.unmodifiableMap(m);
        this.size = end;
        this.decayRuns = mergeDecayRuns(specs);
    }

    /** All tensors in layout order. */
    public List<ParamSpec> specs() {
        return specs;
    }

    /** Total number of scalars. */
    public long size() {
        return size;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public ParamSpec spec(String name) {
        ParamSpec s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown parameter '" + name + "'; known: " + byName.keySet());
        }
        return s;
    }

    /**
     * Maximal contiguous [offset, length] ranges of weight-decayed tensors. AdamW decays each range
     * with one in-place op, so no mask buffer is needed (dense model: about 2 ranges per layer).
     */
    public List<Range> decayRuns() {
        return decayRuns;
    }

    /** Number of scalars that receive weight decay. */
    public long decayedSize() {
        long n = 0;
        for (Range r : decayRuns) {
            n += r.length();
        }
        return n;
    }

    private static List<Range> mergeDecayRuns(List<ParamSpec> specs) {
        List<long[]> runs = new ArrayList<>();
        for (ParamSpec s : specs) {
            if (!s.decay()) {
                continue;
            }
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[1] == s.offset()) {
                last[1] += s.length();
            } else {
                runs.add(new long[] {s.offset(), s.length()});
            }
        }
        List<Range> frozen = new ArrayList<>();
        for (long[] r : runs) {
            frozen.add(new Range(r[0], r[1]));
        }
        return List.copyOf(frozen);
    }
}
