package dev.ponder.core.model;

import java.util.List;
import java.util.Map;

/**
 * The keys of the Sparse Universal Transformer (family sut, MODELS.md section 2), with the defaults
 * of the 44M language-model port (moeut_training_code, sweeps/c4_small_sut_lowreg2_fixed_44m.yaml):
 * <ul>
 *   <li>ff_n_experts (required; moe.n_experts), ff_expert_size (256; moe.expert_size), ff_k (2;
 *       pkm.n_heads): the MoE feed-forward;</li>
 *   <li>att_n_experts (required; moe.att.n_experts), att_k (2; moe.att.k): the mixture of
 *       multi-head attention. Each attention expert has n_heads heads of d_head (the reference's
 *       moe.att.expert_size = n_heads x d_head, transformer.head_projection_size = d_head);</li>
 *   <li>halting_threshold (0.999): tau of the stick-breaking halting; 1 never halts. Lowering it
 *       after training (eval --set model.halting_threshold=x) trades quality for compute;</li>
 *   <li>act_loss (0.01; transformer.act_loss): coefficient of the expected-depth loss;</li>
 *   <li>mi_loss (0.001; moa.miloss): coefficient of the mutual-information balancing loss;</li>
 *   <li>mi_loss_reference_sign (false): false computes -MI = H(E|X) - H(E), the loss the paper
 *       describes; true reproduces the reference code's H(E|X) + H(E) (the sign of H(E) flipped,
 *       which rewards collapsing onto few experts).</li>
 * </ul>
 * n_layers is the number of steps L the shared layer is applied at most.
 */
public record SutSettings(int ffNExperts, int ffExpertSize, int ffK, int attNExperts, int attK,
                          double haltingThreshold, double actLoss, double miLoss, boolean miLossReferenceSign) {

    /** Keys specific to sut, in canonical order. */
    public static final List<String> KEYS = List.of("ff_n_experts", "ff_expert_size", "ff_k", "att_n_experts",
            "att_k", "halting_threshold", "act_loss", "mi_loss", "mi_loss_reference_sign");

    /**
     * Shared keys a sut config accepts; the other dense keys take fixed values (no tied embeddings,
     * no attention/FFN biases key: the FFN experts always have biases, the attention none; LM head bias).
     */
    static final List<String> SHARED_KEYS = List.of("family", "vocab_size", "d_model", "n_layers", "n_heads",
            "d_head", "activation", "rope_base", "rope_fraction", "context_length");

    public SutSettings {
        ConfigValues.atLeast("ff_n_experts", ffNExperts, 1);
        ConfigValues.atLeast("ff_expert_size", ffExpertSize, 1);
        if (ffK < 1 || ffK > ffNExperts) {
            throw new IllegalArgumentException("model.ff_k: expected an integer in [1, ff_n_experts = " + ffNExperts
                    + "], found " + ffK);
        }
        ConfigValues.atLeast("att_n_experts", attNExperts, 1);
        if (attK < 1 || attK > attNExperts) {
            throw new IllegalArgumentException("model.att_k: expected an integer in [1, att_n_experts = "
                    + attNExperts + "], found " + attK);
        }
        if (!(haltingThreshold >= 0 && haltingThreshold <= 1)) {
            throw new IllegalArgumentException("model.halting_threshold: expected a value in [0, 1], found "
                    + haltingThreshold);
        }
        ConfigValues.nonNegative("act_loss", actLoss);
        ConfigValues.nonNegative("mi_loss", miLoss);
    }

    /** The 44M port's defaults with the two required expert counts (k capped by them). */
    public static SutSettings defaults(int ffNExperts, int attNExperts) {
        return new SutSettings(ffNExperts, 256, Math.min(2, Math.max(1, ffNExperts)), attNExperts,
                Math.min(2, Math.max(1, attNExperts)), 0.999, 0.01, 0.001, false);
    }

    /** A copy with another halting threshold (evaluation at a lower tau). */
    public SutSettings withHaltingThreshold(double tau) {
        return new SutSettings(ffNExperts, ffExpertSize, ffK, attNExperts, attK, tau, actLoss, miLoss,
                miLossReferenceSign);
    }

    static SutSettings fromMap(Map<String, ?> m) {
        ConfigValues.require(m, "sut", "ff_n_experts", "att_n_experts");
        SutSettings d = defaults(ConfigValues.integer(m, "ff_n_experts"), ConfigValues.integer(m, "att_n_experts"));
        return new SutSettings(d.ffNExperts,
                ConfigValues.integer(m, "ff_expert_size", d.ffExpertSize),
                ConfigValues.integer(m, "ff_k", d.ffK),
                d.attNExperts,
                ConfigValues.integer(m, "att_k", d.attK),
                ConfigValues.real(m, "halting_threshold", d.haltingThreshold),
                ConfigValues.real(m, "act_loss", d.actLoss),
                ConfigValues.real(m, "mi_loss", d.miLoss),
                ConfigValues.bool(m, "mi_loss_reference_sign", d.miLossReferenceSign));
    }

    void putInto(Map<String, Object> m) {
        m.put("ff_n_experts", ffNExperts);
        m.put("ff_expert_size", ffExpertSize);
        m.put("ff_k", ffK);
        m.put("att_n_experts", attNExperts);
        m.put("att_k", attK);
        m.put("halting_threshold", haltingThreshold);
        m.put("act_loss", actLoss);
        m.put("mi_loss", miLoss);
        m.put("mi_loss_reference_sign", miLossReferenceSign);
    }
}
