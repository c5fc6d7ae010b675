package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.Width;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharcsConfigTest {
    private static Map<String, Object> sharcs() {
        Map<String, Object> m = new HashMap<>();
        m.put("family", "sharcs");
        m.put("vocab_size", 8192);
        m.put("d_model", 128);
        m.put("n_layers", 4);
        m.put("n_heads", 4);
        m.put("d_ff", 512);
        m.put("context_length", 256);
        return m;
    }

    private static String error(Map<String, Object> m) {
        return assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMap(m)).getMessage();
    }

    @Test
    void defaultsAreTheReferencesAndRoundTrip() {
        ModelConfig c = ModelConfig.fromMap(sharcs());
        SharcsSettings s = c.sharcs();
        assertEquals(List.of(0.25, 0.5, 1.0), s.widths());
        assertEquals(1, s.startLayer(), "n_layers / 4");
        assertEquals(1024, s.routerHidden());
        assertEquals(CausalPool.Mode.PREFIX, s.routerPool());
        assertEquals(32, s.prefixLength());
        assertEquals(3, s.history());
        assertEquals(0.7, s.ranges().get(0).lo());
        assertEquals(0.5, s.ranges().get(2).hi());
        assertEquals(c, ModelConfig.fromMap(c.toMap()));
        assertEquals(ModelConfig.keysFor("sharcs"), List.copyOf(c.toMap().keySet()));
        assertEquals("0.25,0.5,1.0", c.toMap().get("sharcs_widths"));
        assertEquals("0.7:1.0,0.4:0.9,0.0:0.5", c.toMap().get("sharcs_ranges"));
        assertEquals(c, c.toBuilder().build());
        List<Width> w = s.shapes(128, 4, 512);
        assertEquals(new Width(0, 0.25, 32, 1, 128), w.get(0));
        assertEquals(new Width(2, 1.0, 128, 4, 512), w.get(2));
    }

    @Test
    void explicitKeysParse() {
        Map<String, Object> m = sharcs();
        m.put("sharcs_widths", "0.5, 1.0");
        m.put("sharcs_ranges", "0.6:1.0, 0.0:0.7");
        m.put("sharcs_router_pool", "token");
        m.put("sharcs_start_layer", 2);
        m.put("sharcs_prefix_len", "16");
        SharcsSettings s = ModelConfig.fromMap(m).sharcs();
        assertEquals(List.of(0.5, 1.0), s.widths());
        assertEquals(0.6, s.ranges().get(0).lo());
        assertEquals(CausalPool.Mode.TOKEN, s.routerPool());
        assertEquals(2, s.startLayer());
        assertEquals(16, s.prefixLength());
    }

    @Test
    void errorsNameTheKeyWithExpectedAndFound() {
        Map<String, Object> m = sharcs();
        m.put("sharcs_widths", "0.5,0.25,1.0");
        assertEquals("model.sharcs_widths: expected increasing fractions in (0, 1] ending in 1.0, found [0.5, 0.25, 1.0]",
                error(m));
        m = sharcs();
        m.put("sharcs_widths", "0.25,0.5");
        assertEquals("model.sharcs_widths: expected increasing fractions ending in 1.0, found [0.25, 0.5]", error(m));
        m = sharcs();
        m.put("sharcs_widths", "quarter,1");
        assertTrue(error(m).startsWith("model.sharcs_widths: expected comma-separated fractions"));
        m = sharcs();
        m.put("sharcs_widths", "0.5,1.0");
        assertEquals("model.sharcs_ranges: expected one lo:hi range per width of sharcs_widths [0.5, 1.0] (2), found 3",
                error(m));
        m = sharcs();
        m.put("sharcs_ranges", "0.7:1.0,0.9:0.4,0:0.5");
        assertEquals("model.sharcs_ranges: expected ranges lo:hi with 0 <= lo < hi <= 1, found 0.9:0.4", error(m));
        m = sharcs();
        m.put("sharcs_start_layer", 5);
        assertEquals("model.sharcs_start_layer: expected an integer in [1, n_layers = 4], found 5", error(m));
        m = sharcs();
        m.put("sharcs_prefix_len", 300);
        assertEquals("model.sharcs_prefix_len: expected an integer in [1, context_length = 256], found 300", error(m));
        m = sharcs();
        m.put("sharcs_router_pool", "mean");
        assertEquals("model.sharcs_router_pool: expected prefix or token, found 'mean'", error(m));
        m = sharcs();
        m.put("sharcs_widths", "0.1,1.0");
        m.put("sharcs_ranges", "0.5:1.0,0.0:0.6");
        assertTrue(error(m).startsWith("model.sharcs_widths: width 0.1 leaves d_model 13, heads 0"), error(m));
        m = sharcs();
        m.put("sharcs_history", 0);
        assertEquals("model.sharcs_history: expected an integer >= 1, found 0", error(m));
        m = sharcs();
        m.put("moe_k", 2);
        assertTrue(error(m).startsWith("model.moe_k: unknown key for family sharcs"));
        Map<String, Object> dense = sharcs();
        dense.put("family", "dense");
        dense.put("sharcs_history", 2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMap(dense)).getMessage()
                .startsWith("model.sharcs_history: unknown key"));
    }

    @Test
    void analyticFlopsAreFullWidthPlusTheRouter() {
        ModelConfig c = ModelConfig.fromMap(sharcs());
        ModelConfig dense = c.toBuilder().family("dense").sharcs(null).build();
        long router = Math.round((128L * 1024 + 1024L * 3) / 256.0);
        assertEquals(FlopCount.denseMacsPerToken(dense, 256) + router, FlopCount.sharcsMacsPerToken(c, 256));
        Width quarter = c.sharcs().shapes(128, 4, 512).get(0);
        // d 32, 1 head of 32, d_ff 128: 4 d hd + 2 T hd + 2 d d_ff
        assertEquals(4 * 32 * 32 + 2 * 256 * 32 + 2 * 32 * 128, FlopCount.widthLayerMacsPerToken(c, quarter, 256));
    }
}
