package dev.ponder.core.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Measurement hook for benchmarks: while a timer is installed on a thread, the instrumented steps of
 * routed layers (router, sort, gather, combine, expert matmuls, attention, ...) add their wall time
 * under a phase name. Thread-confined and off (one ThreadLocal read per step) unless a benchmark
 * installs one; ND4J's CPU ops are synchronous, so wall time around a call is the op's time.
 */
public final class PhaseTimer {
    private static final ThreadLocal<PhaseTimer> CURRENT = new ThreadLocal<>();

    private final Map<String, long[]> phases = new LinkedHashMap<>();   // name -> {nanos, calls, cpu nanos}
    private long lastCpu;

    /** Installs {@code t} on this thread (null removes the current one). */
    public static void install(PhaseTimer t) {
        if (t == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(t);
        }
    }

    /** A start mark: System.nanoTime() when a timer is installed, else 0. */
    public static long start() {
        PhaseTimer t = CURRENT.get();
        if (t == null) {
            return 0;
        }
        t.lastCpu = processCpuNanos();
        return System.nanoTime();
    }

    /** Adds the time since {@code t0} (from {@link #start()}) to {@code phase}; returns a new mark. */
    public static long stop(String phase, long t0) {
        PhaseTimer t = CURRENT.get();
        if (t == null) {
            return 0;
        }
        long cpu = processCpuNanos();
        long now = System.nanoTime();
        long[] v = t.phases.computeIfAbsent(phase, k -> new long[3]);
        v[0] += now - t0;
        v[1]++;
        v[2] += cpu - t.lastCpu;       // phases are sequential: CPU since the previous mark
        t.lastCpu = cpu;
        return now;
    }

    /**
     * CPU time of all of this process's threads (ND4J's OpenMP threads included). Per phase this is
     * the work done, which other jobs on a shared machine do not stretch the way they stretch wall
     * time.
     */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0L;
    }

    /** Process CPU seconds per phase. */
    public Map<String, Double> cpuSeconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, v[2] / 1e9));
        return Collections.unmodifiableMap(out);
    }

    /** Seconds per phase, in first-seen order. */
    public Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, v[0] / 1e9));
        return Collections.unmodifiableMap(out);
    }

    /** Calls per phase. */
    public Map<String, Long> calls() {
        Map<String, Long> out = new LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, v[1]));
        return Collections.unmodifiableMap(out);
    }

    public double totalSeconds() {
        return phases.values().stream().mapToLong(v -> v[0]).sum() / 1e9;
    }
}
