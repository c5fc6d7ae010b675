package dev.ponder.core.model;

import java.util.List;
import java.util.Map;

/**
 * The MoEUT-specific keys of {@code model.*} (family moeut), named and defaulted as the
 * constructor arguments of the reference {@code MoEUTLM} (RobertCsordas/moeut): group_size (2),
 * ff_n_experts (required), ff_expert_size (128), ff_k (8), att_n_experts (required), att_k (2),
 * entropy_reg (0.01), att_entropy_reg (0.001), dropout (0), ff_expert_dropout (0),
 * att_expert_dropout (0).
 *
 * <p>dropout must be 0 for now: the reference applies it to the attention branch only and the
 * MoEUT paper trains without it; it is accepted as a key so reference configurations load.
 */
public record MoeutSettings(int groupSize, int ffNExperts, int ffExpertSize, int ffK, int attNExperts, int attK,
                            double entropyReg, double attEntropyReg, double dropout, double ffExpertDropout,
                            double attExpertDropout) {

    /** Keys specific to moeut, in canonical order. */
    public static final List<String> KEYS = List.of("group_size", "ff_n_experts", "ff_expert_size", "ff_k",
            "att_n_experts", "att_k", "entropy_reg", "att_entropy_reg", "dropout", "ff_expert_dropout",
            "att_expert_dropout");

    /** Shared keys a moeut config accepts (the rest of the dense keys have fixed MoEUT values). */
    static final List<String> SHARED_KEYS = List.of("family", "vocab_size", "d_model", "n_layers", "n_heads",
            "d_head", "context_length");

    public MoeutSettings {
        ConfigValues.atLeast("group_size", groupSize, 1);
        ConfigValues.atLeast("ff_n_experts", ffNExperts, 1);
        ConfigValues.atLeast("ff_expert_size", ffExpertSize, 1);
        if (ffK < 1 || ffK > ffNExperts) {
            throw new IllegalArgumentException("model.ff_k: expected an integer in [1, ff_n_experts = " + ffNExperts
                    + "], found " + ffK);
        }
        ConfigValues.atLeast("att_n_experts", attNExperts, 1);
        if (attK < 1 || (attNExperts > 1 && attK > attNExperts)) {
            throw new IllegalArgumentException("model.att_k: expected an integer in [1, att_n_experts = "
                    + attNExperts + "], found " + attK);
        }
        ConfigValues.nonNegative("entropy_reg", entropyReg);
        ConfigValues.nonNegative("att_entropy_reg", attEntropyReg);
        if (dropout != 0) {
            throw new IllegalArgumentException("model.dropout: expected 0 (dropout is not implemented), found " + dropout);
        }
        ConfigValues.probability("ff_expert_dropout", ffExpertDropout);
        ConfigValues.probability("att_expert_dropout", attExpertDropout);
    }

    /** The reference defaults with the two required expert counts. */
    public static MoeutSettings defaults(int ffNExperts, int attNExperts) {
        // The reference defaults ff_k 8 and att_k 2, capped by the expert counts so that a small
        // expert count with an explicit k is not rejected because of the unused default.
        return new MoeutSettings(2, ffNExperts, 128, Math.min(8, Math.max(1, ffNExperts)), attNExperts,
                Math.min(2, Math.max(1, attNExperts)), 0.01, 0.001, 0.0, 0.0, 0.0);
    }

    /** Repeats of the layer group: n_layers / group_size. */
    public int repeats(int nLayers) {
        return nLayers / groupSize;
    }

    static MoeutSettings fromMap(Map<String, ?> m) {
        ConfigValues.require(m, "moeut", "ff_n_experts", "att_n_experts");
        MoeutSettings d = defaults(ConfigValues.integer(m, "ff_n_experts"), ConfigValues.integer(m, "att_n_experts"));
        return new MoeutSettings(
                ConfigValues.integer(m, "group_size", d.groupSize),
                d.ffNExperts,
                ConfigValues.integer(m, "ff_expert_size", d.ffExpertSize),
                ConfigValues.integer(m, "ff_k", d.ffK),
                d.attNExperts,
                ConfigValues.integer(m, "att_k", d.attK),
                ConfigValues.real(m, "entropy_reg", d.entropyReg),
                ConfigValues.real(m, "att_entropy_reg", d.attEntropyReg),
                ConfigValues.real(m, "dropout", d.dropout),
                ConfigValues.real(m, "ff_expert_dropout", d.ffExpertDropout),
                ConfigValues.real(m, "att_expert_dropout", d.attExpertDropout));
    }

    void putInto(Map<String, Object> m) {
        m.put("group_size", groupSize);
        m.put("ff_n_experts", ffNExperts);
        m.put("ff_expert_size", ffExpertSize);
        m.put("ff_k", ffK);
        m.put("att_n_experts", attNExperts);
        m.put("att_k", attK);
        m.put("entropy_reg", entropyReg);
        m.put("att_entropy_reg", attEntropyReg);
        m.put("dropout", dropout);
        m.put("ff_expert_dropout", ffExpertDropout);
        m.put("att_expert_dropout", attExpertDropout);
    }

    /** Checks against the shared keys: n_layers must be a multiple of group_size. */
    void validateWith(int nLayers) {
        if (nLayers % groupSize != 0) {
            throw new IllegalArgumentException("model.n_layers: expected a multiple of group_size = " + groupSize
                    + ", found " + nLayers);
        }
    }
}
