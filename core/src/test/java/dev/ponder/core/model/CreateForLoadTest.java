package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A replica built for loading skips only the seeded draws: once loaded it is the seeded model. */
class CreateForLoadTest {
    static ModelConfig config(String family) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", family);
        m.put("vocab_size", 64);
        m.put("d_model", 16);
        m.put("n_layers", 2);
        m.put("n_heads", 2);
        m.put("context_length", 8);
        return ModelConfig.fromMap(m);
    }

    @Test
    void loadedReplicaComputesWhatTheSeededModelComputes() {
        for (ModelConfig c : new ModelConfig[] {config("dense"), MoeutLmTest.tiny(2, 2, 2),
                ModLmTest.tiny(ModLmTest.mod("moeut", 0.5, 2, "linear"))}) {
            String family = c.family();
            LanguageModel seeded = ModelFactory.create(c, 3);
            LanguageModel replica = ModelFactory.createForLoad(c, 3);
            if (family.equals("dense")) { // (moeut renormalises its routers after the build, from zeros)
                assertEquals(0.0, sumAbs(replica.params().paramsToArray()), 0.0, "the draws were skipped");
            }
            replica.params().copyParamsFrom(seeded.params().paramsToArray());
            int[] tokens = new int[2 * 9];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (i * 7 + 1) % c.vocabSize();
            }
            assertEquals(seeded.evaluate(tokens, 2, 9).ceSum(), replica.evaluate(tokens, 2, 9).ceSum(), 0.0, family);
        }
    }

    @Test
    void theSkipEndsWithTheCall() {
        ModelConfig c = config("dense");
        ModelFactory.createForLoad(c, 1);
        assertArrayEquals(ModelFactory.create(c, 1).params().paramsToArray(),
                ModelFactory.create(c, 1).params().paramsToArray());
        assertTrue(sumAbs(ModelFactory.create(c, 1).params().paramsToArray()) > 0, "later models are initialised");
    }

    private static double sumAbs(float[] v) {
        double s = 0;
        for (float x : v) {
            s += Math.abs(x);
        }
        return s;
    }
}
