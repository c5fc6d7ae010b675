package dev.ponder.spark.config;

/**
 * One configuration key.
 *
 * @param name dotted name, e.g. {@code train.batch_size}
 * @param type value type
 * @param defaultValue typed default, or null when the key is required
 * @param doc one-line description
 */
public record ConfigKey(String name, ConfigType type, Object defaultValue, String doc) {
    public boolean required() {
        return defaultValue == null;
    }
}
