package dev.ponder.core.model;

import java.util.List;
import java.util.Map;

/**
 * The Mixture-of-Depths keys (family mod; Raposo et al. 2024, MODELS.md section 4). The wrapped
 * block kind's own keys come with it: family mod with mod_block moeut accepts the moeut keys, with
 * moe the moe keys, with dense the dense keys ({@link ModelConfig#keysFor(String, String)}).
 * <ul>
 *   <li>mod_block (dense): the block MoD routes around, dense | moe | moeut.</li>
 *   <li>mod_capacity (0.125): share of each sequence's tokens a routed block computes, in (0, 1].</li>
 *   <li>mod_every (2): every mod_every-th block is routed (blocks every-1, 2*every-1, ...; the first
 *       block is full unless mod_every = 1), in [1, n_layers].</li>
 *   <li>mod_router_scale (linear): what multiplies a selected token's block update: linear (the
 *       router output r = w.x itself, as the paper), sigmoid (sigmoid(r)), one (1: the router only
 *       ranks and gets no gradient; for ablations and equivalence tests).</li>
 *   <li>mod_predictor_hidden (64): hidden width of the causal predictor, an MLP on the (stop-gradient)
 *       router input trained with BCE against top-C membership.</li>
 *   <li>mod_predictor_loss (0.01): its BCE coefficient in the loss. It only reaches the predictor's
 *       own parameters; a small coefficient keeps it out of the global gradient-norm clip.</li>
 *   <li>mod_inference (predictor): how evaluation selects tokens: predictor (causal: a token goes
 *       through when the predictor says so, no future look-ahead) or top_c (training's top-C over
 *       the whole sequence, which looks ahead).</li>
 * </ul>
 */
public record ModSettings(String block, double capacity, int every, String routerScale, int predictorHidden,
                          double predictorLoss, String inference) {

    public static final List<String> KEYS = List.of("mod_block", "mod_capacity", "mod_every", "mod_router_scale",
            "mod_predictor_hidden", "mod_predictor_loss", "mod_inference");

    public static final List<String> BLOCKS = List.of("dense", "moe", "moeut");
    public static final List<String> ROUTER_SCALES = List.of("linear", "sigmoid", "one");
    public static final List<String> INFERENCE = List.of("predictor", "top_c");

    public ModSettings {
        oneOf("mod_block", block, BLOCKS);
        if (!(capacity > 0 && capacity <= 1)) {
            throw new IllegalArgumentException("model.mod_capacity: expected a fraction in (0, 1], found " + capacity);
        }
        ConfigValues.atLeast("mod_every", every, 1);
        oneOf("mod_router_scale", routerScale, ROUTER_SCALES);
        ConfigValues.atLeast("mod_predictor_hidden", predictorHidden, 1);
        ConfigValues.nonNegative("mod_predictor_loss", predictorLoss);
        oneOf("mod_inference", inference, INFERENCE);
    }

    public static ModSettings defaults(String block) {
        return new ModSettings(block, 0.125, 2, "linear", 64, 0.01, "predictor");
    }

    /** Whether block application {@code l} (0-based, repeats counted) is routed. */
    public boolean routed(int l) {
        return l % every == every - 1;
    }

    public ModSettings withCapacity(double c) {
        return new ModSettings(block, c, every, routerScale, predictorHidden, predictorLoss, inference);
    }

    public ModSettings withRouterScale(String s) {
        return new ModSettings(block, capacity, every, s, predictorHidden, predictorLoss, inference);
    }

    public ModSettings withInference(String s) {
        return new ModSettings(block, capacity, every, routerScale, predictorHidden, predictorLoss, s);
    }

    /** mod_block as written in the map (dense when absent), validated. */
    static String blockOf(Map<String, ?> m) {
        String b = ConfigValues.string(m, "mod_block", "dense");
        oneOf("mod_block", b, BLOCKS);
        return b;
    }

    static ModSettings fromMap(Map<String, ?> m) {
        ModSettings d = defaults(blockOf(m));
        return new ModSettings(d.block,
                ConfigValues.real(m, "mod_capacity", d.capacity),
                ConfigValues.integer(m, "mod_every", d.every),
                ConfigValues.string(m, "mod_router_scale", d.routerScale),
                ConfigValues.integer(m, "mod_predictor_hidden", d.predictorHidden),
                ConfigValues.real(m, "mod_predictor_loss", d.predictorLoss),
                ConfigValues.string(m, "mod_inference", d.inference));
    }

    void putInto(Map<String, Object> m) {
        m.put("mod_block", block);
        m.put("mod_capacity", capacity);
        m.put("mod_every", every);
        m.put("mod_router_scale", routerScale);
        m.put("mod_predictor_hidden", predictorHidden);
        m.put("mod_predictor_loss", predictorLoss);
        m.put("mod_inference", inference);
    }

    /** Checks against the shared keys: at least one block must be routed. */
    void validateWith(int nLayers) {
        if (every > nLayers) {
            throw new IllegalArgumentException("model.mod_every: expected an integer in [1, n_layers = " + nLayers
                    + "], found " + every);
        }
    }

    private static void oneOf(String key, String v, List<String> allowed) {
        if (v == null || !allowed.contains(v)) {
            throw new IllegalArgumentException("model." + key + ": expected one of " + allowed + ", found "
                    + (v == null ? "null" : "'" + v + "'"));
        }
    }
}
