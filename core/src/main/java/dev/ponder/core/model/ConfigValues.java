package dev.ponder.core.model;

import java.util.Locale;
import java.util.Map;

/**
 * Typed reads of configuration map values, and the range checks of the settings records; errors
 * name the key ("model.{key}") and say expected vs found, so every family reports alike.
 */
final class ConfigValues {
    private ConfigValues() {}

    /** Throws unless every key is present: a family's required keys (their defaults derive from them). */
    static void require(Map<String, ?> m, String family, String... keys) {
        for (String k : keys) {
            if (!m.containsKey(k)) {
                throw new IllegalArgumentException("model." + k + ": required key is missing (family " + family + ")");
            }
        }
    }

    /** The key's value when present (a present null is an error), else {@code absent}. */
    static String string(Map<String, ?> m, String key, String absent) {
        return m.containsKey(key) ? string(m, key) : absent;
    }

    /** As {@link #string(Map, String, String)}. */
    static int integer(Map<String, ?> m, String key, int absent) {
        return m.containsKey(key) ? integer(m, key) : absent;
    }

    /** As {@link #string(Map, String, String)}. */
    static double real(Map<String, ?> m, String key, double absent) {
        return m.containsKey(key) ? real(m, key) : absent;
    }

    /** As {@link #string(Map, String, String)}. */
    static boolean bool(Map<String, ?> m, String key, boolean absent) {
        return m.containsKey(key) ? bool(m, key) : absent;
    }

    static String string(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw error(key, "a string", v);
        }
        return s;
    }

    static int integer(Map<String, ?> m, String key) {
        Object v = m.get(key);
        long x;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            x = ((Number) v).longValue();
        } else if (v instanceof String s) {
            try {
                x = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw error(key, "an integer", v);
            }
        } else {
            throw error(key, "an integer", v);
        }
        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
            throw error(key, "a 32-bit integer", v);
        }
        return (int) x;
    }

    static double real(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw error(key, "a number", v);
            }
        }
        throw error(key, "a number", v);
    }

    static boolean bool(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.equals("true") || t.equals("false")) {
                return Boolean.parseBoolean(t);
            }
        }
        throw error(key, "true or false", v);
    }

    static void atLeast(String key, int v, int min) {
        if (v < min) {
            throw new IllegalArgumentException("model." + key + ": expected an integer >= " + min + ", found " + v);
        }
    }

    static void nonNegative(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("model." + key + ": expected a finite number >= 0, found " + v);
        }
    }

    static void probability(String key, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException("model." + key + ": expected a value in [0, 1), found " + v);
        }
    }

    private static IllegalArgumentException error(String key, String expected, Object found) {
        String shown = found == null ? "null" : found instanceof String ? "'" + found + "'" : found.toString();
        return new IllegalArgumentException("model." + key + ": expected " + expected + ", found " + shown);
    }
}
