package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FamilyConfigTest {
    private static Map<String, Object> moeut() {
        Map<String, Object> m = new HashMap<>();
        m.put("family", "moeut");
        m.put("vocab_size", 8192);
        m.put("d_model", 256);
        m.put("n_layers", 8);
        m.put("n_heads", 4);
        m.put("d_head", 64);
        m.put("ff_n_experts", 64);
        m.put("att_n_experts", 4);
        return m;
    }

    private static String error(Map<String, Object> m) {
        return assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMap(m)).getMessage();
    }

    @Test
    void moeutDefaultsAreTheReferenceConstructorsAndRoundTrip() {
        ModelConfig c = ModelConfig.fromMap(moeut());
        MoeutSettings s = c.moeut();
        assertEquals(2, s.groupSize());
        assertEquals(128, s.ffExpertSize());
        assertEquals(8, s.ffK());
        assertEquals(2, s.attK());
        assertEquals(0.01, s.entropyReg());
        assertEquals(0.001, s.attEntropyReg());
        assertEquals(4, s.repeats(8));
        assertEquals(32, c.ropeDims(), "MoEUT rotates half of each head");
        assertTrue(c.headBias());
        assertNull(c.moe());
        assertEquals(c, ModelConfig.fromMap(c.toMap()));
        assertEquals(ModelConfig.keysFor("moeut"), java.util.List.copyOf(c.toMap().keySet()));
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void moeutErrorsNameTheKey() {
        Map<String, Object> m = moeut();
        m.put("d_ff", 1024);
        assertTrue(error(m).startsWith("model.d_ff: unknown key for family moeut; expected one of"));
        m = moeut();
        m.remove("att_n_experts");
        assertEquals("model.att_n_experts: required key is missing (family moeut)", error(m));
        m = moeut();
        m.put("group_size", 3);
        assertEquals("model.n_layers: expected a multiple of group_size = 3, found 8", error(m));
        m = moeut();
        m.put("dropout", 0.1);
        assertEquals("model.dropout: expected 0 (dropout is not implemented), found 0.1", error(m));
        m = moeut();
        m.put("ff_k", 65);
        assertEquals("model.ff_k: expected an integer in [1, ff_n_experts = 64], found 65", error(m));
        m = moeut();
        m.put("ff_expert_dropout", "lots");
        assertEquals("model.ff_expert_dropout: expected a number, found 'lots'", error(m));
        m = moeut();
        m.put("att_n_experts", 1);                              // the dense-attention case keeps att_k's default
        assertEquals(1, ModelConfig.fromMap(m).moeut().attNExperts());
        m = moeut();
        m.put("ff_n_experts", 4);                               // fewer experts than the default ff_k 8
        m.put("ff_k", 2);
        assertEquals(2, ModelConfig.fromMap(m).moeut().ffK());
        m.remove("ff_k");
        assertEquals(4, ModelConfig.fromMap(m).moeut().ffK(), "the default k is capped by the expert count");
    }

    @Test
    void moeKeysReplaceDffAndBias() {
        Map<String, Object> m = new HashMap<>();
        m.put("family", "moe");
        m.put("vocab_size", 100);
        m.put("d_model", 32);
        m.put("n_layers", 2);
        m.put("n_heads", 2);
        m.put("moe_n_experts", 8);
        m.put("moe_expert_size", 64);
        m.put("moe_capacity_factor", "1.25");
        ModelConfig c = ModelConfig.fromMap(m);
        assertEquals(2, c.moe().k());
        assertEquals(1.25, c.moe().capacityFactor());
        assertTrue(c.moe().renormalize());
        assertEquals(c, ModelConfig.fromMap(c.toMap()));
        m.put("d_ff", 64);
        assertTrue(error(m).startsWith("model.d_ff: unknown key for family moe"));
        m.remove("d_ff");
        m.put("moe_k", 9);
        assertEquals("model.moe_k: expected an integer in [1, moe_n_experts = 8], found 9", error(m));
    }

    @Test
    void denseRejectsFamilyKeysAndSettings() {
        Map<String, Object> m = moeut();
        m.put("family", "dense");
        assertTrue(error(m).matches("model\\.(ff|att)_n_experts: unknown key; expected one of .*"), error(m));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder().family("dense").vocabSize(10)
                .dModel(8).nLayers(1).nHeads(1).moe(MoeSettings.defaults(2, 4)).build());
        assertEquals(ModelConfig.KEYS, ModelConfig.keysFor("dense"));
    }

    private static Map<String, Object> sut() {
        Map<String, Object> m = new HashMap<>();
        m.put("family", "sut");
        m.put("vocab_size", 8000);
        m.put("d_model", 412);
        m.put("n_layers", 16);
        m.put("n_heads", 4);
        m.put("d_head", 64);
        m.put("ff_n_experts", 152);
        m.put("att_n_experts", 24);
        return m;
    }

    @Test
    void sutDefaultsAreThe44mPortsAndRoundTrip() {
        ModelConfig c = ModelConfig.fromMap(sut());
        SutSettings s = c.sut();
        assertEquals(256, s.ffExpertSize());
        assertEquals(2, s.ffK());
        assertEquals(2, s.attK());
        assertEquals(0.999, s.haltingThreshold());
        assertEquals(0.01, s.actLoss());
        assertEquals(0.001, s.miLoss());
        assertEquals(false, s.miLossReferenceSign());
        assertEquals(dev.ponder.core.nn.Activation.GELU, c.activation(), "SUT's experts use GELU by default");
        assertTrue(c.headBias());
        assertNull(c.moeut());
        assertEquals(c, ModelConfig.fromMap(c.toMap()));
        assertEquals(ModelConfig.keysFor("sut"), java.util.List.copyOf(c.toMap().keySet()));
        assertEquals(c, c.toBuilder().build());
        Map<String, Object> m = sut();
        m.put("activation", "relu");
        m.put("halting_threshold", "0.5");
        m.put("mi_loss_reference_sign", true);
        ModelConfig r = ModelConfig.fromMap(m);
        assertEquals(dev.ponder.core.nn.Activation.RELU, r.activation());
        assertEquals(0.5, r.sut().haltingThreshold());
        assertTrue(r.sut().miLossReferenceSign());
        assertEquals(0.25, r.sut().withHaltingThreshold(0.25).haltingThreshold());
    }

    @Test
    void sutErrorsNameTheKey() {
        Map<String, Object> m = sut();
        m.put("d_ff", 1024);
        assertTrue(error(m).startsWith("model.d_ff: unknown key for family sut; expected one of"));
        m = sut();
        m.remove("ff_n_experts");
        assertEquals("model.ff_n_experts: required key is missing (family sut)", error(m));
        m = sut();
        m.put("halting_threshold", 1.5);
        assertEquals("model.halting_threshold: expected a value in [0, 1], found 1.5", error(m));
        m = sut();
        m.put("att_k", 25);
        assertEquals("model.att_k: expected an integer in [1, att_n_experts = 24], found 25", error(m));
        m = sut();
        m.put("act_loss", -1);
        assertEquals("model.act_loss: expected a finite number >= 0, found -1.0", error(m));
        m = sut();
        m.put("mi_loss_reference_sign", "sometimes");
        assertEquals("model.mi_loss_reference_sign: expected true or false, found 'sometimes'", error(m));
        m = moeut();
        m.put("halting_threshold", 0.9);
        assertTrue(error(m).startsWith("model.halting_threshold: unknown key for family moeut"));
    }

    private static Map<String, Object> mod(String block) {
        Map<String, Object> m = block.equals("moeut") ? moeut() : new HashMap<>(Map.of("vocab_size", 100, "d_model", 32,
                "n_layers", 4, "n_heads", 2));
        if (block.equals("moe")) {
            m.put("moe_n_experts", 4);
            m.put("moe_expert_size", 16);
        }
        m.put("family", "mod");
        m.put("mod_block", block);
        return m;
    }

    @Test
    void modWrapsEachBlockKindWithThatFamilysKeysAndRoundTrips() {
        for (String block : ModSettings.BLOCKS) {
            ModelConfig c = ModelConfig.fromMap(mod(block));
            assertEquals(block, c.blockKind());
            assertEquals(ModSettings.defaults(block), c.mod());
            assertEquals(c, ModelConfig.fromMap(c.toMap()));
            assertEquals(ModelConfig.keysFor("mod", block), java.util.List.copyOf(c.toMap().keySet()));
            assertTrue(ModelConfig.keysFor("mod", block).containsAll(ModelConfig.keysFor(block)));
            assertEquals(block.equals("moeut"), c.moeut() != null);
            assertEquals(block.equals("moe"), c.moe() != null);
        }
        ModSettings d = ModelConfig.fromMap(mod("dense")).mod();
        assertEquals(0.125, d.capacity());
        assertEquals(2, d.every());
        assertEquals("linear", d.routerScale());
        assertEquals("predictor", d.inference());
        assertTrue(!d.routed(0) && d.routed(1) && !d.routed(2) && d.routed(3), "every other block, the first full");
        assertEquals(32, ModelConfig.fromMap(mod("moeut")).ropeDims(), "MoEUT's fixed values hold inside MoD too");
        Map<String, Object> m = mod("dense");
        m.remove("mod_block");
        assertEquals("dense", ModelConfig.fromMap(m).blockKind(), "mod_block defaults to dense");
        assertEquals(ModelConfig.keysFor("mod", "dense"), ModelConfig.keysFor("mod"));
    }

    @Test
    void modErrorsNameTheKeyAndSayExpectedVsFound() {
        Map<String, Object> m = mod("dense");
        m.put("mod_capacity", 0);
        assertEquals("model.mod_capacity: expected a fraction in (0, 1], found 0.0", error(m));
        m = mod("dense");
        m.put("mod_block", "sut");
        assertEquals("model.mod_block: expected one of [dense, moe, moeut], found 'sut'", error(m));
        m = mod("dense");
        m.put("mod_every", 5);
        assertEquals("model.mod_every: expected an integer in [1, n_layers = 4], found 5", error(m));
        m = mod("dense");
        m.put("mod_router_scale", "tanh");
        assertEquals("model.mod_router_scale: expected one of [linear, sigmoid, one], found 'tanh'", error(m));
        m = mod("dense");
        m.put("mod_inference", "oracle");
        assertEquals("model.mod_inference: expected one of [predictor, top_c], found 'oracle'", error(m));
        m = mod("dense");
        m.put("mod_predictor_hidden", 0);
        assertEquals("model.mod_predictor_hidden: expected an integer >= 1, found 0", error(m));
        m = mod("moeut");
        m.put("d_ff", 64);
        assertTrue(error(m).startsWith("model.d_ff: unknown key for family mod with mod_block moeut; expected one of"),
                error(m));
        m = mod("dense");
        m.put("ff_n_experts", 8);
        assertTrue(error(m).startsWith("model.ff_n_experts: unknown key for family mod with mod_block dense"), error(m));
        m = mod("moe");
        m.remove("moe_n_experts");
        assertEquals("model.moe_n_experts: required key is missing (family moe)", error(m));
        Map<String, Object> dense = mod("dense");
        dense.put("family", "dense");
        assertTrue(error(dense).startsWith("model.mod_block: unknown key; expected one of"), error(dense));
        assertEquals("model.family mod: expected MoD settings (mod_capacity, mod_block, ...), found none",
                assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder().family("mod").vocabSize(10)
                        .dModel(8).nLayers(2).nHeads(1).build()).getMessage());
    }
}
