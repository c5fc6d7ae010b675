package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ponder.core.nn.Activation;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    private static Map<String, Object> tiny() {
        Map<String, Object> m = new HashMap<>();
        m.put("family", "dense");
        m.put("vocab_size", 8192);
        m.put("d_model", 256);
        m.put("n_layers", 8);
        m.put("n_heads", 4);
        return m;
    }

    private static String error(Map<String, Object> m) {
        return assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMap(m)).getMessage();
    }

    @Test
    void fillsDefaultsAndRoundTrips() {
        ModelConfig c = ModelConfig.fromMap(tiny());
        assertEquals(64, c.dHead());
        assertEquals(1024, c.dFf());
        assertEquals(Activation.RELU, c.activation());
        assertEquals(10000.0, c.ropeBase());
        assertEquals(64, c.ropeDims());
        assertEquals(false, c.tieEmbeddings());
        assertEquals(c, ModelConfig.fromMap(c.toMap()));
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void parsesStringValuesWithTheKeysType() {
        Map<String, Object> m = tiny();
        m.put("d_ff", "2053");
        m.put("activation", "GELU");
        m.put("tie_embeddings", "true");
        m.put("rope_fraction", "0.5");
        ModelConfig c = ModelConfig.fromMap(m);
        assertEquals(2053, c.dFf());
        assertEquals(Activation.GELU, c.activation());
        assertEquals(true, c.tieEmbeddings());
        assertEquals(32, c.ropeDims());
    }

    @Test
    void errorsNameTheKeyAndSayExpectedVersusFound() {
        Map<String, Object> m = tiny();
        m.put("d_modle", 3);
        assertEquals("model.d_modle: unknown key; expected one of " + ModelConfig.KEYS, error(m));
        m = tiny();
        m.remove("n_heads");
        assertEquals("model.n_heads: required key is missing", error(m));
        m = tiny();
        m.put("d_model", "wide");
        assertEquals("model.d_model: expected an integer, found 'wide'", error(m));
        m = tiny();
        m.put("n_layers", 0);
        assertEquals("model.n_layers: expected an integer >= 1, found 0", error(m));
        m = tiny();
        m.put("family", "rnn");
        assertEquals("model.family: expected one of " + ModelConfig.FAMILIES + ", found rnn", error(m));
        m = tiny();
        m.put("activation", "swish");
        assertEquals("model.activation: expected relu or gelu, found swish", error(m));
        m = tiny();
        m.put("bias", "maybe");
        assertEquals("model.bias: expected true or false, found 'maybe'", error(m));
        m = tiny();
        m.put("rope_fraction", 1.5);
        assertEquals("model.rope_fraction: expected a value in [0, 1], found 1.5", error(m));
    }

    @Test
    void factoryBuildsDenseAndRefusesOthersClearly() {
        ModelConfig dense = ModelConfig.builder().vocabSize(11).dModel(8).nLayers(1).nHeads(2).build();
        assertEquals(DenseLm.class, ModelFactory.create(dense, 1).getClass());
        ModelConfig sut = dense.toBuilder().family("sut").build();
        assertEquals("model.family 'sut' is not implemented yet (implemented: dense, moeut, moe, mod)",
                assertThrows(UnsupportedOperationException.class, () -> ModelFactory.create(sut, 1)).getMessage());
    }
}
