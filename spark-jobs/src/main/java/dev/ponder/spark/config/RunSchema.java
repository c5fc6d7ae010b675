package dev.ponder.spark.config;

import static dev.ponder.spark.config.ConfigType.BOOL;
import static dev.ponder.spark.config.ConfigType.DOUBLE;
import static dev.ponder.spark.config.ConfigType.INT;
import static dev.ponder.spark.config.ConfigType.LONG;
import static dev.ponder.spark.config.ConfigType.STRING;

import java.util.List;
import java.util.Map;

/**
 * The keys of a run configuration: {@code seed}, {@code data.*}, {@code train.*} shared by every
 * family, and {@code model.*} chosen by {@code model.family}. CONTRACTS.md lists the shared keys.
 */
public final class RunSchema {
    public static final List<String> FAMILIES = List.of("dense", "moe", "moeut", "sut", "sharcs", "mod");
    static final List<String> MOD_BLOCKS = List.of("dense", "moe", "moeut");

    private RunSchema() {}

    public static ConfigSchema common() {
        return new ConfigSchema()
                .add("seed", LONG, 0L, "seed of initialisation, data order and sampling")
                .add("data.path", STRING, "", "prepared dataset directory (a `ponder prep` output)")
                .add("train.steps", INT, 100, "optimizer steps in total")
                .add("train.batch_size", INT, 16, "windows per step per worker")
                .add("train.seq_len", INT, 256, "tokens per window fed to the model (<= the data's seq_len)")
                .add("train.lr", DOUBLE, 3e-4, "peak learning rate")
                .add("train.min_lr_ratio", DOUBLE, 0.1, "cosine schedule floor as a fraction of lr")
                .add("train.warmup_steps", INT, 0, "linear warmup steps")
                .add("train.weight_decay", DOUBLE, 0.01, "decoupled (AdamW) weight decay")
                .add("train.beta1", DOUBLE, 0.9, "Adam beta1")
                .add("train.beta2", DOUBLE, 0.999, "Adam beta2")
                .add("train.eps", DOUBLE, 1e-8, "Adam epsilon")
                .add("train.grad_clip", DOUBLE, 1.0, "clip the global gradient norm to this (0: off)")
                .add("train.workers", INT, 1, "Spark partitions training in parallel (replicas averaged)")
                .add("train.local_steps", INT, 1, "steps each worker takes between averaging rounds")
                .add("train.threads_per_worker", INT, 0, "ND4J threads per training task (0: cores / tasks on a "
                        + "local master, spark.task.cpus on a cluster)")
                .add("train.checkpoint_every", INT, 50, "steps between checkpoints (0: only at the end)")
                .add("train.keep_checkpoints", INT, 3, "committed checkpoints to keep")
                .add("train.log_every", INT, 1, "steps between metric lines (rounded up to rounds)")
                .add("train.eval_every", INT, 0, "steps between validation passes (0: only at the end)")
                .add("train.eval_batches", INT, 8, "validation batches per evaluation")
                .add("train.persistent_tasks", BOOL, true, "run rounds on long-lived tasks that exchange each "
                        + "round's state with the driver over TCP (false: one Spark job per round)");
    }

    /**
     * The model keys of the dense family; their meaning, defaults and validation live in core's
     * ModelConfig (a test checks that both list the same keys).
     */
    static ConfigSchema dense() {
        return new ConfigSchema()
                .add("model.family", STRING, null, "one of " + FAMILIES)
                .add("model.vocab_size", INT, null, "vocabulary size (>= the data's tokenizer vocabulary)")
                .add("model.d_model", INT, null, "residual width d")
                .add("model.n_layers", INT, null, "layers")
                .add("model.n_heads", INT, null, "attention heads H")
                .optional("model.d_head", INT, "head width dh (default d_model / n_heads)")
                .optional("model.d_ff", INT, "feed-forward hidden width (default 4 d_model)")
                .optional("model.activation", STRING, "relu or gelu (default relu)")
                .optional("model.rope_base", DOUBLE, "RoPE base (default 10000)")
                .optional("model.rope_fraction", DOUBLE, "share of each head's dims rotated by RoPE (default 1)")
                .optional("model.context_length", INT, "longest sequence the model accepts (default 1024)")
                .optional("model.tie_embeddings", BOOL, "share embedding and LM head weights (default false)")
                .optional("model.bias", BOOL, "biases in attention and FFN linears (default false)")
                .optional("model.head_bias", BOOL, "LM head bias (default false)");
    }

    /**
     * The model keys of the MoEUT family: the reference MoEUTLM constructor's arguments (core's
     * MoeutSettings holds their defaults and validation; a test checks both list the same keys).
     */
    static ConfigSchema moeut() {
        return new ConfigSchema()
                .add("model.family", STRING, null, "one of " + FAMILIES)
                .add("model.vocab_size", INT, null, "vocabulary size (>= the data's tokenizer vocabulary)")
                .add("model.d_model", INT, null, "residual width d")
                .add("model.n_layers", INT, null, "layers applied, repeats counted (a multiple of group_size)")
                .add("model.n_heads", INT, null, "attention heads H")
                .optional("model.d_head", INT, "head width dh (default d_model / n_heads)")
                .optional("model.context_length", INT, "longest sequence the model accepts (default 1024)")
                .optional("model.group_size", INT, "distinct layers G, repeated n_layers / G times (default 2)")
                .add("model.ff_n_experts", INT, null, "σ-MoE experts E")
                .optional("model.ff_expert_size", INT, "σ-MoE expert width m (default 128)")
                .optional("model.ff_k", INT, "σ-MoE experts per token (default 8)")
                .add("model.att_n_experts", INT, null, "SwitchHead experts per head (1: dense v and o)")
                .optional("model.att_k", INT, "SwitchHead experts per head and token (default 2)")
                .optional("model.entropy_reg", DOUBLE, "σ-MoE entropy regulariser coefficient (default 0.01)")
                .optional("model.att_entropy_reg", DOUBLE, "SwitchHead entropy regulariser coefficient (default 0.001)")
                .optional("model.dropout", DOUBLE, "dropout (must be 0: not implemented)")
                .optional("model.ff_expert_dropout", DOUBLE, "σ-MoE expert dropout in training (default 0)")
                .optional("model.att_expert_dropout", DOUBLE, "SwitchHead expert dropout in training (default 0)");
    }

    /**
     * The model keys of the Sparse Universal Transformer (core's SutSettings holds their defaults,
     * the 44M LM port's, and validation; a test checks both list the same keys).
     */
    static ConfigSchema sut() {
        return new ConfigSchema()
                .add("model.family", STRING, null, "one of " + FAMILIES)
                .add("model.vocab_size", INT, null, "vocabulary size (>= the data's tokenizer vocabulary)")
                .add("model.d_model", INT, null, "residual width d")
                .add("model.n_layers", INT, null, "steps: applications of the shared layer at most (L)")
                .add("model.n_heads", INT, null, "heads per attention expert")
                .optional("model.d_head", INT, "head width dh (default d_model / n_heads); an attention expert "
                        + "is n_heads x d_head wide")
                .optional("model.activation", STRING, "FFN expert activation, gelu or relu (default gelu)")
                .optional("model.rope_base", DOUBLE, "RoPE base (default 10000)")
                .optional("model.rope_fraction", DOUBLE, "share of each head's dims rotated by RoPE (default 1)")
                .optional("model.context_length", INT, "longest sequence the model accepts (default 1024)")
                .add("model.ff_n_experts", INT, null, "FFN experts E")
                .optional("model.ff_expert_size", INT, "FFN expert hidden width (default 256)")
                .optional("model.ff_k", INT, "FFN experts per token (default 2)")
                .add("model.att_n_experts", INT, null, "attention experts (own query and output projections)")
                .optional("model.att_k", INT, "attention experts per token (default 2)")
                .optional("model.halting_threshold", DOUBLE, "stick-breaking halting threshold tau in [0, 1] "
                        + "(default 0.999; 1 never halts; lower it at evaluation to trade quality for compute)")
                .optional("model.act_loss", DOUBLE, "expected-depth (ACT) loss coefficient (default 0.01)")
                .optional("model.mi_loss", DOUBLE, "mutual-information balancing loss coefficient (default 0.001)")
                .optional("model.mi_loss_reference_sign", BOOL, "true: the reference code's H(E|X) + H(E) instead "
                        + "of -MI = H(E|X) - H(E) (default false)");
    }

    /** The model keys of the classic MoE control: the dense keys without d_ff and bias, plus moe_*. */
    static ConfigSchema moe() {
        ConfigSchema s = new ConfigSchema();
        for (ConfigKey k : dense().keys()) {
            if (!k.name().equals("model.d_ff") && !k.name().equals("model.bias")) {
                if (k.required()) {
                    s.add(k.name(), k.type(), null, k.doc());
                } else {
                    s.optional(k.name(), k.type(), k.doc());
                }
            }
        }
        return s.add("model.moe_n_experts", INT, null, "experts E per layer")
                .add("model.moe_expert_size", INT, null, "hidden width of each expert")
                .optional("model.moe_k", INT, "experts per token (default 2)")
                .optional("model.moe_capacity_factor", DOUBLE, "expert capacity factor, tokens dropped above it (default 0: dropless)")
                .optional("model.moe_renormalize", BOOL, "renormalise the k gates to sum to 1 (default true)")
                .optional("model.moe_aux_loss", DOUBLE, "load-balancing loss coefficient (default 0.01)")
                .optional("model.moe_z_loss", DOUBLE, "router z-loss coefficient (default 0)");
    }

    /**
     * The model keys of SHARCS: every dense key plus sharcs_* (core's SharcsSettings holds their
     * defaults and validation; a test checks both list the same keys).
     */
    static ConfigSchema sharcs() {
        return dense()
                .optional("model.sharcs_widths", STRING, "comma-separated increasing width fractions ending in 1.0 "
                        + "(default 0.25,0.5,1.0)")
                .optional("model.sharcs_start_layer", INT, "first width-sliced layer; the router reads the output of "
                        + "the layer before (default n_layers / 4, at least 1)")
                .optional("model.sharcs_router_hidden", INT, "hidden width of the router MLP (default 1024)")
                .optional("model.sharcs_router_pool", STRING, "router input: prefix (mean of the first "
                        + "sharcs_prefix_len tokens, one width per window) or token (running mean, a width per "
                        + "position) (default prefix)")
                .optional("model.sharcs_prefix_len", INT, "tokens the prefix router reads; they are predicted at full "
                        + "width (default 32)")
                .optional("model.sharcs_history", INT, "visits of a window whose confidences label it; full width "
                        + "only before (default 3)")
                .optional("model.sharcs_ranges", STRING, "confidence range lo:hi per width, comma-separated in the "
                        + "order of sharcs_widths (default 0.7:1.0,0.4:0.9,0.0:0.5)")
                .optional("model.sharcs_router_loss", DOUBLE, "coefficient of the router's BCE loss (default 1)");
    }

    /**
     * The model keys of Mixture-of-Depths around blocks of {@code block} (dense, moe or moeut): that
     * family's keys plus mod_* (core's ModSettings holds their defaults and validation).
     */
    static ConfigSchema mod(String block) {
        ConfigSchema base = switch (block) {
            case "moe" -> moe();
            case "moeut" -> moeut();
            default -> dense();
        };
        return base.optional("model.mod_block", STRING, "block kind MoD routes around: dense, moe or moeut "
                        + "(default dense; that family's keys apply)")
                .optional("model.mod_capacity", DOUBLE, "share of each sequence's tokens a routed block computes "
                        + "(default 0.125)")
                .optional("model.mod_every", INT, "every mod_every-th block is routed, the first full (default 2)")
                .optional("model.mod_router_scale", STRING, "update scale: linear (router output), sigmoid or one "
                        + "(default linear)")
                .optional("model.mod_predictor_hidden", INT, "hidden width of the causal predictor MLP (default 64)")
                .optional("model.mod_predictor_loss", DOUBLE, "predictor BCE coefficient (default 0.01)")
                .optional("model.mod_inference", STRING, "evaluation routing: predictor (causal) or top_c "
                        + "(default predictor)");
    }

    /** The schema for the family named in the raw values (model.family). */
    public static ConfigSchema forRaw(Map<String, Object> raw) {
        Object family = raw.get("model.family");
        if (family == null) {
            throw new IllegalArgumentException("config key model.family is required (one of " + FAMILIES + ")");
        }
        String f = family.toString();
        ConfigSchema schema = common();
        switch (f) {
            case "dense":
                return schema.addAll(dense());
            case "moeut":
                return schema.addAll(moeut());
            case "moe":
                return schema.addAll(moe());
            case "sut":
                return schema.addAll(sut());
            case "sharcs":
                return schema.addAll(sharcs());
            case "mod": {
                Object block = raw.getOrDefault("model.mod_block", "dense");
                if (!MOD_BLOCKS.contains(block.toString())) {
                    throw new IllegalArgumentException("config key model.mod_block: expected one of " + MOD_BLOCKS
                            + ", found '" + block + "'");
                }
                return schema.addAll(mod(block.toString()));
            }
            default:
                if (FAMILIES.contains(f)) {
                    throw new IllegalArgumentException("model.family " + f + " is not implemented yet "
                            + "(implemented: dense, moeut, moe, sut, sharcs, mod)");
                }
                throw new IllegalArgumentException("config key model.family: expected one of " + FAMILIES
                        + ", found '" + f + "'");
        }
    }
}
