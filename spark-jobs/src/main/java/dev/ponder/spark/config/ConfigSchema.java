package dev.ponder.spark.config;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** An ordered set of {@link ConfigKey}s; the builder methods read like the documentation. */
public final class ConfigSchema {
    private final Map<String, ConfigKey> keys = new LinkedHashMap<>();

    /** A key with a default, or a required key when {@code defaultValue} is null. */
    public ConfigSchema add(String name, ConfigType type, Object defaultValue, String doc) {
        Object typed = defaultValue == null ? null : type.coerce(name, defaultValue);
        keys.put(name, new ConfigKey(name, type, typed, defaultValue == null, doc));
        return this;
    }

    /** A key that may be left out; its consumer derives the default (e.g. d_head = d_model / n_heads). */
    public ConfigSchema optional(String name, ConfigType type, String doc) {
        keys.put(name, new ConfigKey(name, type, null, false, doc));
        return this;
    }

    public ConfigSchema addAll(ConfigSchema other) {
        keys.putAll(other.keys);
        return this;
    }

    public ConfigKey get(String name) {
        return keys.get(name);
    }

    public boolean has(String name) {
        return keys.containsKey(name);
    }

    public Collection<ConfigKey> keys() {
        return keys.values();
    }
}
