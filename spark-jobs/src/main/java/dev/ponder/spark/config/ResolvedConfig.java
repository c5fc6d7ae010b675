package dev.ponder.spark.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every key of a schema with its typed value (given or default); immutable and serializable. */
public final class ResolvedConfig implements Serializable {
    private static final long serialVersionUID = 1L;
    private final LinkedHashMap<String, Object> values;

    ResolvedConfig(LinkedHashMap<String, Object> values) {
        this.values = values;
    }

    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }

    private Object need(String key) {
        if (!values.containsKey(key)) {
            throw new IllegalArgumentException("config key " + key + " is not defined for this configuration");
        }
        return values.get(key);
    }

    public int getInt(String key) {
        return (Integer) need(key);
    }

    public long getLong(String key) {
        return (Long) need(key);
    }

    public double getDouble(String key) {
        return (Double) need(key);
    }

    public boolean getBool(String key) {
        return (Boolean) need(key);
    }

    public String getString(String key) {
        return (String) need(key);
    }

    /** The keys under {@code prefix.} without the prefix, e.g. section("model") -> {d_model: 256, ...}. */
    public Map<String, Object> section(String prefix) {
        Map<String, Object> out = new LinkedHashMap<>();
        String p = prefix + ".";
        values.forEach((k, v) -> {
            if (k.startsWith(p)) {
                out.put(k.substring(p.length()), v);
            }
        });
        return out;
    }

    /** Nested JSON (sections as objects), for checkpoint manifests and run provenance. */
    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(nested());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dotted keys as nested maps: the shape of the YAML files. */
    public Map<String, Object> nested() {
        Map<String, Object> root = new LinkedHashMap<>();
        values.forEach((k, v) -> ConfigLoader.put(root, k, v));
        return root;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResolvedConfig r && r.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
