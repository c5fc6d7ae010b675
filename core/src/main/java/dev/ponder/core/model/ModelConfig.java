package dev.ponder.core.model;

import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Rope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The model section of a configuration ({@code model.*} keys, snake_case as in the reference
 * implementations). Validated on construction: an invalid config cannot exist, and every error names
 * the key, what was expected and what was found. Build with {@link #builder()} or
 * {@link #fromMap(Map)} (strict: unknown keys are errors); {@link #toMap()} round-trips.
 *
 * <p>Keys: family (dense | moe | moeut | sut | sharcs | mod), vocab_size, d_model, n_layers,
 * n_heads, d_head (default d_model / n_heads), d_ff (default 4 d_model), activation (relu | gelu,
 * default relu), rope_base (10000), rope_fraction (share of each head rotated, default 1.0; MoEUT
 * uses 0.5), context_length (default 1024), tie_embeddings (false), bias (Linear biases in attention
 * and FFN, false), head_bias (LM head bias, false).
 *
 * <p>Family keys: moeut accepts family, vocab_size, d_model, n_layers, n_heads, d_head,
 * context_length plus {@link MoeutSettings#KEYS} (the other dense keys take MoEUT's fixed values:
 * RoPE on half of each head, LM head bias, no tied embeddings); moe accepts the dense keys except
 * d_ff and bias plus {@link MoeSettings#KEYS}; sharcs accepts every dense key plus
 * {@link SharcsSettings#KEYS} (all optional); sut accepts family, vocab_size, d_model, n_layers (steps),
 * n_heads and d_head (per attention expert), activation (default gelu for sut), rope_base,
 * rope_fraction, context_length plus {@link SutSettings#KEYS} (LM head bias, no tied embeddings);
 * mod accepts {@link ModSettings#KEYS} plus the keys of the family its mod_block names (dense, moe
 * or moeut). {@link #keysFor(String, String)} lists them. {@link #moeut()} / {@link #moe()} are null
 * unless the family (or mod's wrapped block) is moeut / moe; {@link #sharcs()} / {@link #sut()} /
 * {@link #mod()} are null unless the family is sharcs / sut / mod.
 */
public record ModelConfig(
        String family,
        int vocabSize,
        int dModel,
        int nLayers,
        int nHeads,
        int dHead,
        int dFf,
        Activation activation,
        double ropeBase,
        double ropeFraction,
        int contextLength,
        boolean tieEmbeddings,
        boolean bias,
        boolean headBias,
        MoeutSettings moeut,
        MoeSettings moe,
        SharcsSettings sharcs,
        SutSettings sut,
        ModSettings mod) {

    /** Families a config may name; {@link ModelFactory} says which are implemented. */
    public static final List<String> FAMILIES = List.of("dense", "moe", "moeut", "sut", "sharcs", "mod");

    /** Every accepted key, in canonical order. */
    public static final List<String> KEYS = List.of("family", "vocab_size", "d_model", "n_layers", "n_heads",
            "d_head", "d_ff", "activation", "rope_base", "rope_fraction", "context_length", "tie_embeddings",
            "bias", "head_bias");

    private static final Set<String> REQUIRED = Set.of("family", "vocab_size", "d_model", "n_layers", "n_heads");

    public ModelConfig {
        validate(family, vocabSize, dModel, nLayers, nHeads, dHead, dFf, activation, ropeBase, ropeFraction,
                contextLength);
        validateFamilySettings(family, nLayers, moeut, moe, sharcs, mod);
        if (sharcs != null) {
            sharcs.validateWith(nLayers, dModel, nHeads, dFf, contextLength);
        }
        if (family.equals("sut") != (sut != null)) {
            throw new IllegalArgumentException(sut == null
                    ? "model.family sut: expected SUT settings (ff_n_experts, att_n_experts, ...), found none"
                    : "model.family " + family + ": SUT settings (halting_threshold, ...) apply only to family sut");
        }
    }

    /** A config without family-specific settings (dense, and families not using any). */
    public ModelConfig(String family, int vocabSize, int dModel, int nLayers, int nHeads, int dHead, int dFf,
                       Activation activation, double ropeBase, double ropeFraction, int contextLength,
                       boolean tieEmbeddings, boolean bias, boolean headBias) {
        this(family, vocabSize, dModel, nLayers, nHeads, dHead, dFf, activation, ropeBase, ropeFraction,
                contextLength, tieEmbeddings, bias, headBias, null, null, null, null, null);
    }

    /** The family-specific settings of moeut and moe configs (for their existing call sites). */
    public ModelConfig(String family, int vocabSize, int dModel, int nLayers, int nHeads, int dHead, int dFf,
                       Activation activation, double ropeBase, double ropeFraction, int contextLength,
                       boolean tieEmbeddings, boolean bias, boolean headBias, MoeutSettings moeut, MoeSettings moe) {
        this(family, vocabSize, dModel, nLayers, nHeads, dHead, dFf, activation, ropeBase, ropeFraction,
                contextLength, tieEmbeddings, bias, headBias, moeut, moe, null, null, null);
    }

    /** The block kind the model is built of: the family, or for mod the block it routes around. */
    public String blockKind() {
        return mod != null ? mod.block() : family;
    }

    /**
     * The keys a config of {@code family} accepts ({@link #KEYS} for dense and families without own
     * keys; for mod, those of MoD around dense blocks).
     */
    public static List<String> keysFor(String family) {
        return keysFor(family, "dense");
    }

    /** The keys of {@code family}; for mod, around blocks of kind {@code modBlock} (dense, moe or moeut). */
    public static List<String> keysFor(String family, String modBlock) {
        List<String> keys = new java.util.ArrayList<>();
        if (family.equals("mod")) {
            keys.addAll(keysFor(modBlock, "dense"));
            keys.addAll(ModSettings.KEYS);
            return List.copyOf(keys);
        }
        switch (family) {
            case "moeut" -> {
                keys.addAll(MoeutSettings.SHARED_KEYS);
                keys.addAll(MoeutSettings.KEYS);
            }
            case "moe" -> {
                keys.addAll(KEYS);
                keys.removeAll(MoeSettings.EXCLUDED_DENSE_KEYS);
                keys.addAll(MoeSettings.KEYS);
            }
            case "sharcs" -> {
                keys.addAll(KEYS);
                keys.addAll(SharcsSettings.KEYS);
            }
            case "sut" -> {
                keys.addAll(SutSettings.SHARED_KEYS);
                keys.addAll(SutSettings.KEYS);
            }
            default -> keys.addAll(KEYS);
        }
        return List.copyOf(keys);
    }

    /** Rotated dims per head: floor(rope_fraction * d_head) rounded down to even. */
    public int ropeDims() {
        return Rope.rotatedDims(dHead, ropeFraction);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this config's values. */
    public Builder toBuilder() {
        return new Builder().family(family).vocabSize(vocabSize).dModel(dModel).nLayers(nLayers).nHeads(nHeads)
                .dHead(dHead).dFf(dFf).activation(activation).ropeBase(ropeBase).ropeFraction(ropeFraction)
                .contextLength(contextLength).tieEmbeddings(tieEmbeddings).bias(bias).headBias(headBias)
                .moeut(moeut).moe(moe).sharcs(sharcs).sut(sut).mod(mod);
    }

    /** Parses the {@code model.*} map (values: numbers, booleans or strings). Unknown keys are errors. */
    public static ModelConfig fromMap(Map<String, ?> m) {
        Object fam = m.get("family");
        boolean ownKeys = "moeut".equals(fam) || "moe".equals(fam) || "sharcs".equals(fam) || "sut".equals(fam)
                || "mod".equals(fam);
        String kind = "mod".equals(fam) ? ModSettings.blockOf(m) : String.valueOf(fam);  // the blocks' family
        List<String> keys = ownKeys ? keysFor((String) fam, kind) : KEYS;
        for (String k : m.keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException("model." + k + ": unknown key"
                        + (ownKeys ? " for family " + fam + ("mod".equals(fam) ? " with mod_block " + kind : "") : "")
                        + "; expected one of " + keys);
            }
        }
        for (String k : REQUIRED) {
            if (!m.containsKey(k)) {
                throw new IllegalArgumentException("model." + k + ": required key is missing");
            }
        }
        Builder b = builder()
                .family(ConfigValues.string(m, "family"))
                .vocabSize(ConfigValues.integer(m, "vocab_size"))
                .dModel(ConfigValues.integer(m, "d_model"))
                .nLayers(ConfigValues.integer(m, "n_layers"))
                .nHeads(ConfigValues.integer(m, "n_heads"));
        if (m.containsKey("d_head")) b.dHead(ConfigValues.integer(m, "d_head"));
        if (m.containsKey("d_ff")) b.dFf(ConfigValues.integer(m, "d_ff"));
        if (m.containsKey("activation")) {
            try {
                b.activation(Activation.parse(ConfigValues.string(m, "activation")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model." + e.getMessage(), e);
            }
        }
        if (m.containsKey("rope_base")) b.ropeBase(ConfigValues.real(m, "rope_base"));
        if (m.containsKey("rope_fraction")) b.ropeFraction(ConfigValues.real(m, "rope_fraction"));
        if (m.containsKey("context_length")) b.contextLength(ConfigValues.integer(m, "context_length"));
        if (m.containsKey("tie_embeddings")) b.tieEmbeddings(ConfigValues.bool(m, "tie_embeddings"));
        if (m.containsKey("bias")) b.bias(ConfigValues.bool(m, "bias"));
        if (m.containsKey("head_bias")) b.headBias(ConfigValues.bool(m, "head_bias"));
        if ("moeut".equals(kind)) b.moeut(MoeutSettings.fromMap(m));
        if ("moe".equals(kind)) b.moe(MoeSettings.fromMap(m));
        if ("sharcs".equals(fam)) {
            b.sharcs(SharcsSettings.fromMap(m, ConfigValues.integer(m, "n_layers"),
                    m.containsKey("context_length") ? ConfigValues.integer(m, "context_length") : b.contextLength));
        }
        if ("sut".equals(fam)) b.sut(SutSettings.fromMap(m));
        if ("mod".equals(fam)) b.mod(ModSettings.fromMap(m));
        return b.build();
    }

    /** All keys with resolved values (defaults filled in), for manifests and provenance. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", family);
        m.put("vocab_size", vocabSize);
        m.put("d_model", dModel);
        m.put("n_layers", nLayers);
        m.put("n_heads", nHeads);
        m.put("d_head", dHead);
        m.put("d_ff", dFf);
        m.put("activation", activation.name().toLowerCase(Locale.ROOT));
        m.put("rope_base", ropeBase);
        m.put("rope_fraction", ropeFraction);
        m.put("context_length", contextLength);
        m.put("tie_embeddings", tieEmbeddings);
        m.put("bias", bias);
        m.put("head_bias", headBias);
        if (moeut != null) {
            moeut.putInto(m);
        }
        if (moe != null) {
            moe.putInto(m);
        }
        if (sharcs != null) {
            sharcs.putInto(m);
        }
        if (sut != null) {
            sut.putInto(m);
        }
        if (mod != null) {
            mod.putInto(m);
        }
        m.keySet().retainAll(keysFor(family, blockKind()));
        return m;
    }

    private static void validate(String family, int vocabSize, int dModel, int nLayers, int nHeads, int dHead,
                                 int dFf, Activation activation, double ropeBase, double ropeFraction,
                                 int contextLength) {
        if (family == null || !FAMILIES.contains(family)) {
            throw new IllegalArgumentException("model.family: expected one of " + FAMILIES + ", found " + family);
        }
        ConfigValues.atLeast("vocab_size", vocabSize, 2);
        ConfigValues.atLeast("d_model", dModel, 1);
        ConfigValues.atLeast("n_layers", nLayers, 1);
        ConfigValues.atLeast("n_heads", nHeads, 1);
        ConfigValues.atLeast("d_head", dHead, 1);
        ConfigValues.atLeast("d_ff", dFf, 1);
        ConfigValues.atLeast("context_length", contextLength, 1);
        if (activation == null) {
            throw new IllegalArgumentException("model.activation: expected relu or gelu, found null");
        }
        if (!(ropeBase > 1) || Double.isInfinite(ropeBase)) {
            throw new IllegalArgumentException("model.rope_base: expected a finite number > 1, found " + ropeBase);
        }
        if (!(ropeFraction >= 0 && ropeFraction <= 1)) {
            throw new IllegalArgumentException("model.rope_fraction: expected a value in [0, 1], found " + ropeFraction);
        }
    }

    private static void validateFamilySettings(String family, int nLayers, MoeutSettings moeut, MoeSettings moe,
                                               SharcsSettings sharcs, ModSettings mod) {
        if (family.equals("sharcs") != (sharcs != null)) {
            throw new IllegalArgumentException(sharcs == null
                    ? "model.family sharcs: expected SHARCS settings (sharcs_widths, ...), found none"
                    : "model.family " + family + ": SHARCS settings (sharcs_widths, ...) apply only to family sharcs");
        }
        if (family.equals("mod") != (mod != null)) {
            throw new IllegalArgumentException(mod == null
                    ? "model.family mod: expected MoD settings (mod_capacity, mod_block, ...), found none"
                    : "model.family " + family + ": MoD settings (mod_capacity, ...) apply only to family mod");
        }
        String kind = mod != null ? mod.block() : family;
        String where = mod != null ? "model.family mod with mod_block " + kind : "model.family " + family;
        if (kind.equals("moeut") != (moeut != null)) {
            throw new IllegalArgumentException(moeut == null
                    ? where + ": expected MoEUT settings (ff_n_experts, att_n_experts, ...), found none"
                    : where + ": MoEUT settings (ff_n_experts, ...) apply only to moeut blocks");
        }
        if (kind.equals("moe") != (moe != null)) {
            throw new IllegalArgumentException(moe == null
                    ? where + ": expected MoE settings (moe_n_experts, moe_expert_size, ...), found none"
                    : where + ": MoE settings (moe_n_experts, ...) apply only to moe blocks");
        }
        if (moeut != null) {
            moeut.validateWith(nLayers);
        }
        if (mod != null) {
            mod.validateWith(nLayers);
        }
    }

    /** Fluent construction; {@link #build()} fills derived defaults and validates. */
    public static final class Builder {
        private String family = "dense";
        private int vocabSize;
        private int dModel;
        private int nLayers;
        private int nHeads;
        private int dHead;
        private int dFf;
        private Activation activation;   // null: the family's default (gelu for sut, relu otherwise)
        private double ropeBase = 10000.0;
        private double ropeFraction = 1.0;
        private int contextLength = 1024;
        private boolean tieEmbeddings;
        private boolean bias;
        private boolean headBias;
        private MoeutSettings moeut;
        private MoeSettings moe;
        private SharcsSettings sharcs;
        private SutSettings sut;
        private ModSettings mod;

        public Builder family(String v) { family = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder dModel(int v) { dModel = v; return this; }
        public Builder nLayers(int v) { nLayers = v; return this; }
        public Builder nHeads(int v) { nHeads = v; return this; }
        /** 0 means d_model / n_heads. */
        public Builder dHead(int v) { dHead = v; return this; }
        /** 0 means 4 * d_model. */
        public Builder dFf(int v) { dFf = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder ropeBase(double v) { ropeBase = v; return this; }
        public Builder ropeFraction(double v) { ropeFraction = v; return this; }
        public Builder contextLength(int v) { contextLength = v; return this; }
        public Builder tieEmbeddings(boolean v) { tieEmbeddings = v; return this; }
        public Builder bias(boolean v) { bias = v; return this; }
        public Builder headBias(boolean v) { headBias = v; return this; }
        public Builder moeut(MoeutSettings v) { moeut = v; return this; }
        public Builder moe(MoeSettings v) { moe = v; return this; }
        /** null for family sharcs means the reference's defaults ({@link SharcsSettings#defaults}). */
        public Builder sharcs(SharcsSettings v) { sharcs = v; return this; }
        public Builder sut(SutSettings v) { sut = v; return this; }
        public Builder mod(ModSettings v) { mod = v; return this; }

        public ModelConfig build() {
            int dh = dHead == 0 && nHeads > 0 ? dModel / nHeads : dHead;
            int ff = dFf == 0 ? 4 * dModel : dFf;
            Activation act = activation != null ? activation : "sut".equals(family) ? Activation.GELU : Activation.RELU;
            if ("sut".equals(family)) {
                // keys sut does not accept take fixed values (d_ff is unused: the experts have their own width)
                return new ModelConfig(family, vocabSize, dModel, nLayers, nHeads, dh, 4 * dModel, act, ropeBase,
                        ropeFraction, contextLength, false, false, true, moeut, moe, sharcs, sut, mod);
            }
            String kind = "mod".equals(family) && mod != null ? mod.block() : family;   // what the blocks are
            if ("moeut".equals(kind)) {
                // keys moeut does not accept take the reference's fixed values, so toMap/fromMap round-trip
                return new ModelConfig(family, vocabSize, dModel, nLayers, nHeads, dh, 4 * dModel, Activation.RELU,
                        10000.0, 0.5, contextLength, false, false, true, moeut, moe, sharcs, sut, mod);
            }
            if ("moe".equals(kind)) {
                ff = 4 * dModel;   // unused: the experts' width is moe_expert_size
            }
            SharcsSettings sh = "sharcs".equals(family) && sharcs == null
                    ? SharcsSettings.defaults(nLayers, contextLength) : sharcs;
            return new ModelConfig(family, vocabSize, dModel, nLayers, nHeads, dh, ff, act, ropeBase,
                    ropeFraction, contextLength, tieEmbeddings, "moe".equals(kind) ? false : bias, headBias,
                    moeut, moe, sh, sut, mod);
        }
    }
}
