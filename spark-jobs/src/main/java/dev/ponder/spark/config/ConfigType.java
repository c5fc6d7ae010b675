package dev.ponder.spark.config;

/** Value types of configuration keys; parsing accepts YAML scalars and --set strings. */
public enum ConfigType {
    INT, LONG, DOUBLE, BOOL, STRING;

    /** Converts a YAML value or a --set string; throws naming the key, expected type and found value. */
    Object coerce(String key, Object v) {
        try {
            switch (this) {
                case INT:
                    return Math.toIntExact(integral(v));
                case LONG:
                    return integral(v);
                case DOUBLE:
                    if (v instanceof Number n) {
                        return n.doubleValue();
                    }
                    if (v instanceof String s) {
                        return Double.parseDouble(s.trim());
                    }
                    break;
                case BOOL:
                    if (v instanceof Boolean b) {
                        return b;
                    }
                    if (v instanceof String s && (s.equals("true") || s.equals("false"))) {
                        return Boolean.parseBoolean(s);
                    }
                    break;
                case STRING:
                    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                        return v.toString();
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("config key " + key + ": expected " + describe() + ", found "
                + (v instanceof String ? "'" + v + "'" : String.valueOf(v))
                + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")"));
    }

    private static long integral(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b) {
            return b.longValueExact();
        }
        if (v instanceof String s) {
            return Long.parseLong(s.trim().replace("_", ""));
        }
        throw new NumberFormatException();
    }

    String describe() {
        switch (this) {
            case INT:
                return "an integer";
            case LONG:
                return "an integer (64-bit)";
            case DOUBLE:
                return "a number";
            case BOOL:
                return "true or false";
            default:
                return "a string";
        }
    }
}
