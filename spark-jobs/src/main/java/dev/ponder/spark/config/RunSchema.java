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
                .add("train.eval_batches", INT, 8, "validation batches per evaluation");
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
            default:
                if (FAMILIES.contains(f)) {
                    throw new IllegalArgumentException("model.family " + f + " is not implemented yet "
                            + "(implemented: dense)");
                }
                throw new IllegalArgumentException("config key model.family: expected one of " + FAMILIES
                        + ", found '" + f + "'");
        }
    }
}
