package dev.ponder.spark.config;

/**
 * One configuration key.
 *
 * @param name dotted name, e.g. {@code train.batch_size}
 * @param type value type
 * @param defaultValue typed default, or null
 * @param required whether a value must be given (otherwise: the default, or absent when none)
 * @param doc one-line description
 */
public record ConfigKey(String name, ConfigType type, Object defaultValue, boolean required, String doc) {}
