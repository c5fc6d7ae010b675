package dev.ponder.core.model;

import java.util.Locale;
import java.util.Map;

/** Typed reads of configuration map values; errors name the key and say expected vs found. */
final class ConfigValues {
    private ConfigValues() {}

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

    private static IllegalArgumentException error(String key, String expected, Object found) {
        String shown = found == null ? "null" : found instanceof String ? "'" + found + "'" : found.toString();
        return new IllegalArgumentException("model." + key + ": expected " + expected + ", found " + shown);
    }
}
