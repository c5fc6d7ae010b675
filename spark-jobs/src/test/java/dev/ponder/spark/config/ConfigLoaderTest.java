package dev.ponder.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    static final String YAML = String.join("\n",
            "seed: 7",
            "data:",
            "  path: /tmp/data",
            "train:",
            "  steps: 40",
            "  lr: 1e-3",
            "model:",
            "  family: dense",
            "  vocab_size: 256",
            "  d_model: 32",
            "  n_layers: 2",
            "  n_heads: 2",
            "  d_head: 16",
            "  d_ff: 64",
            "");

    static ResolvedConfig load(String yaml, String... sets) {
        return ConfigLoader.resolve(yaml, "test.yaml", List.of(sets), RunSchema::forRaw);
    }

    @Test
    void valuesDefaultsAndOverridesAreTyped() {
        ResolvedConfig c = load(YAML, "train.batch_size=4", "model.activation=gelu");
        assertEquals(7L, c.getLong("seed"));
        assertEquals(1e-3, c.getDouble("train.lr"), 0);
        assertEquals(4, c.getInt("train.batch_size"));
        assertEquals(256, c.getInt("train.seq_len"), "default");
        assertEquals("gelu", c.getString("model.activation"));
        assertEquals(32, c.section("model").get("d_model"));
        assertEquals(c, load(c.toJson()), "the resolved config reloads to itself (JSON is YAML)");
    }

    @Test
    void modelKeysAreExactlyThoseOfCoreModelConfig() {
        java.util.Set<String> schemaKeys = new java.util.TreeSet<>();
        for (ConfigKey k : RunSchema.dense().keys()) {
            schemaKeys.add(k.name().substring("model.".length()));
        }
        assertEquals(new java.util.TreeSet<>(dev.ponder.core.model.ModelConfig.KEYS), schemaKeys);
        ResolvedConfig c = load(YAML);
        assertEquals(16, dev.ponder.core.model.ModelConfig.fromMap(c.section("model")).dHead());
        assertTrue(!c.asMap().containsKey("model.rope_base"), "optional keys stay absent when not given");
    }

    @Test
    void familyModelKeysAreExactlyThoseOfCoreModelConfig() {
        for (String family : List.of("moeut", "moe", "sut", "sharcs")) {
            ConfigSchema schema = switch (family) {
                case "moeut" -> RunSchema.moeut();
                case "sut" -> RunSchema.sut();
                case "sharcs" -> RunSchema.sharcs();
                default -> RunSchema.moe();
            };
            java.util.Set<String> schemaKeys = new java.util.TreeSet<>();
            for (ConfigKey k : schema.keys()) {
                schemaKeys.add(k.name().substring("model.".length()));
            }
            assertEquals(new java.util.TreeSet<>(dev.ponder.core.model.ModelConfig.keysFor(family)), schemaKeys, family);
        }
        String moeut = String.join("\n", "model:", "  family: moeut", "  vocab_size: 64", "  d_model: 16",
                "  n_layers: 4", "  n_heads: 2", "  ff_n_experts: 8", "  att_n_experts: 2", "");
        ResolvedConfig c = load(moeut, "model.ff_k=3");
        dev.ponder.core.model.ModelConfig m = dev.ponder.core.model.ModelConfig.fromMap(c.section("model"));
        assertEquals(3, m.moeut().ffK());
        assertEquals(2, m.moeut().groupSize(), "core's default");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(moeut, "model.d_ff=64"));
        assertTrue(e.getMessage().contains("model.d_ff"), e.getMessage());
    }

    @Test
    void modModelKeysAreExactlyThoseOfCoreModelConfigPerWrappedBlock() {
        for (String block : List.of("dense", "moe", "moeut")) {
            java.util.Set<String> schemaKeys = new java.util.TreeSet<>();
            for (ConfigKey k : RunSchema.mod(block).keys()) {
                schemaKeys.add(k.name().substring("model.".length()));
            }
            assertEquals(new java.util.TreeSet<>(dev.ponder.core.model.ModelConfig.keysFor("mod", block)), schemaKeys,
                    block);
        }
        String mod = String.join("\n", "model:", "  family: mod", "  mod_block: moeut", "  vocab_size: 64",
                "  d_model: 16", "  n_layers: 4", "  n_heads: 2", "  ff_n_experts: 8", "  att_n_experts: 2", "");
        ResolvedConfig c = load(mod, "model.mod_capacity=0.25");
        dev.ponder.core.model.ModelConfig m = dev.ponder.core.model.ModelConfig.fromMap(c.section("model"));
        assertEquals(0.25, m.mod().capacity(), 0);
        assertEquals(8, m.moeut().ffNExperts());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(mod, "model.d_ff=64"));
        assertTrue(e.getMessage().contains("model.d_ff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load(mod, "model.mod_block=sut"));
        assertTrue(e.getMessage().contains("model.mod_block") && e.getMessage().contains("sut"), e.getMessage());
    }

    @Test
    void unknownKeyIsAnErrorNamingItWithASuggestion() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(YAML, "train.batchsize=4"));
        assertTrue(e.getMessage().contains("train.batchsize") && e.getMessage().contains("--set")
                && e.getMessage().contains("train.batch_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load(YAML + "model_size: 3\n"));
        assertTrue(e.getMessage().contains("model_size") && e.getMessage().contains("test.yaml"), e.getMessage());
    }

    @Test
    void wrongTypeNamesKeyExpectedAndFound() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(YAML, "train.steps=lots"));
        assertTrue(e.getMessage().contains("train.steps") && e.getMessage().contains("integer")
                && e.getMessage().contains("lots"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load(YAML, "model.tie_embeddings=yes"));
        assertTrue(e.getMessage().contains("true or false"), e.getMessage());
    }

    @Test
    void missingRequiredKeyAndBadFamilyAreErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load(YAML.replace("  d_model: 32\n", "")));
        assertTrue(e.getMessage().contains("model.d_model") && e.getMessage().contains("required"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load(YAML, "model.family=transformer-xl"));
        assertTrue(e.getMessage().contains("transformer-xl"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load("train: [1, 2]\nmodel: {family: dense}"));
        assertTrue(e.getMessage().contains("train") && e.getMessage().contains("list"), e.getMessage());
    }
}
