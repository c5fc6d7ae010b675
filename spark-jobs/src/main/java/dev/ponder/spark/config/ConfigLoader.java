package dev.ponder.spark.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves YAML text plus {@code --set} overrides against a schema. The schema may depend on a
 * value in the configuration itself (the model family decides the model keys), so it is given
 * as a function of the flattened input.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigLoader() {}

    /**
     * @param yaml YAML text (may be empty)
     * @param source where the YAML came from, for error messages
     * @param sets overrides {@code key=value}, applied after the YAML
     * @param schemaFor chooses the schema from the flattened raw values
     */
    public static ResolvedConfig resolve(String yaml, String source, List<String> sets,
            Function<Map<String, Object>, ConfigSchema> schemaFor) {
        Map<String, Object> raw = new LinkedHashMap<>();
        flatten("", parseYaml(yaml, source), raw, source);
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String kv : sets) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set: expected key=value, found '" + kv + "'");
            }
            overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
        }
        raw.putAll(overrides);
        ConfigSchema schema = schemaFor.apply(raw);
        LinkedHashMap<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            if (!schema.has(e.getKey())) {
                String where = overrides.containsKey(e.getKey()) ? "--set" : source;
                throw new IllegalArgumentException("unknown config key " + e.getKey() + " (in " + where + ")"
                        + suggestion(e.getKey(), schema));
            }
        }
        for (ConfigKey key : schema.keys()) {
            if (raw.containsKey(key.name())) {
                values.put(key.name(), key.type().coerce(key.name(), raw.get(key.name())));
            } else if (key.required()) {
                throw new IllegalArgumentException("config key " + key.name() + " is required (" + key.doc()
                        + "); set it in " + source + " or with --set " + key.name() + "=...");
            } else if (key.defaultValue() != null) {
                values.put(key.name(), key.defaultValue());
            }
        }
        return new ResolvedConfig(values);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseYaml(String yaml, String source) {
        if (yaml == null || yaml.isBlank()) {
            return Map.of();
        }
        try {
            Object tree = YAML.readValue(yaml, Object.class);
            if (tree == null) {
                return Map.of();
            }
            if (!(tree instanceof Map)) {
                throw new IllegalArgumentException(source + ": expected a YAML mapping at the top level, found "
                        + tree.getClass().getSimpleName());
            }
            return (Map<String, Object>) tree;
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage().split("\n")[0], e);
        }
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> tree, Map<String, Object> out, String source) {
        for (Map.Entry<String, Object> e : tree.entrySet()) {
            String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map) {
                flatten(key, (Map<String, Object>) e.getValue(), out, source);
            } else if (e.getValue() instanceof List) {
                throw new IllegalArgumentException("config key " + key + " (in " + source
                        + "): expected a scalar, found a list");
            } else {
                out.put(key, e.getValue());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> root, String dotted, Object value) {
        String[] parts = dotted.split("\\.");
        Map<String, Object> node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            node = (Map<String, Object>) node.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
        }
        node.put(parts[parts.length - 1], value);
    }

    private static String suggestion(String key, ConfigSchema schema) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey k : schema.keys()) {
            int d = editDistance(key, k.name());
            if (d < bestDistance) {
                bestDistance = d;
                best = k.name();
            }
        }
        return best != null && bestDistance <= 3 ? "; did you mean " + best + "?" : "";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
