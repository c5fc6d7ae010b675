package dev.ponder.core.model;

import java.util.List;
import java.util.Map;

/**
 * The keys of the classic top-k softmax MoE control (family moe: the dense pre-LN transformer
 * with every FFN replaced by experts): moe_n_experts (required), moe_k (2), moe_expert_size
 * (required; hidden width of each expert), moe_capacity_factor (0 = dropless), moe_renormalize
 * (true: gates renormalised over the k chosen), moe_aux_loss (0.01, load-balancing coefficient),
 * moe_z_loss (0, router z-loss coefficient).
 */
public record MoeSettings(int nExperts, int k, int expertSize, double capacityFactor, boolean renormalize,
                          double auxLoss, double zLoss) {

    public static final List<String> KEYS = List.of("moe_n_experts", "moe_k", "moe_expert_size",
            "moe_capacity_factor", "moe_renormalize", "moe_aux_loss", "moe_z_loss");

    /** Dense keys that do not apply to moe (the experts replace d_ff; experts and attention have no biases). */
    static final List<String> EXCLUDED_DENSE_KEYS = List.of("d_ff", "bias");

    public MoeSettings {
        ConfigValues.atLeast("moe_n_experts", nExperts, 1);
        if (k < 1 || k > nExperts) {
            throw new IllegalArgumentException("model.moe_k: expected an integer in [1, moe_n_experts = " + nExperts
                    + "], found " + k);
        }
        ConfigValues.atLeast("moe_expert_size", expertSize, 1);
        ConfigValues.nonNegative("moe_capacity_factor", capacityFactor);
        ConfigValues.nonNegative("moe_aux_loss", auxLoss);
        ConfigValues.nonNegative("moe_z_loss", zLoss);
    }

    public static MoeSettings defaults(int nExperts, int expertSize) {
        return new MoeSettings(nExperts, Math.min(2, nExperts), expertSize, 0.0, true, 0.01, 0.0);
    }

    static MoeSettings fromMap(Map<String, ?> m) {
        ConfigValues.require(m, "moe", "moe_n_experts", "moe_expert_size");
        MoeSettings d = defaults(ConfigValues.integer(m, "moe_n_experts"), ConfigValues.integer(m, "moe_expert_size"));
        return new MoeSettings(d.nExperts,
                ConfigValues.integer(m, "moe_k", d.k),
                d.expertSize,
                ConfigValues.real(m, "moe_capacity_factor", d.capacityFactor),
                ConfigValues.bool(m, "moe_renormalize", d.renormalize),
                ConfigValues.real(m, "moe_aux_loss", d.auxLoss),
                ConfigValues.real(m, "moe_z_loss", d.zLoss));
    }

    void putInto(Map<String, Object> m) {
        m.put("moe_n_experts", nExperts);
        m.put("moe_k", k);
        m.put("moe_expert_size", expertSize);
        m.put("moe_capacity_factor", capacityFactor);
        m.put("moe_renormalize", renormalize);
        m.put("moe_aux_loss", auxLoss);
        m.put("moe_z_loss", zLoss);
    }
}
