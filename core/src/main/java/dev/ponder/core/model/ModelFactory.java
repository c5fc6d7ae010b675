package dev.ponder.core.model;

import org.nd4j.linalg.api.buffer.DataType;

/** Builds the model a configuration names. */
public final class ModelFactory {
    private ModelFactory() {}

    /** Float32 model (training and evaluation). */
    public static LanguageModel create(ModelConfig config, long seed) {
        return create(config, seed, DataType.FLOAT);
    }

    /**
     * The architecture of {@code create(config, seed)} with its parameters left at zero, for a
     * replica that loads every parameter next (the seeded draws would be thrown away).
     * Everything else, such as dropout streams, still derives from {@code seed}.
     */
    public static LanguageModel createForLoad(ModelConfig config, long seed) {
        return dev.ponder.core.params.ParamRegistry.withoutInitialization(() -> create(config, seed));
    }

    /**
     * A freshly initialised model; parameters depend only on (config, seed) and are stored in
     * {@code dtype} (FLOAT to train, DOUBLE for gradient checks).
     */
    public static LanguageModel create(ModelConfig config, long seed, DataType dtype) {
        return switch (config.family()) {
            case "dense" -> new DenseLm(config, seed, dtype);
            case "moeut" -> new MoeutLm(config, seed, dtype);
            case "moe" -> new MoeLm(config, seed, dtype);
            case "sharcs" -> new SharcsLm(config, seed, dtype);
            case "sut" -> new SutLm(config, seed, dtype);
            case "mod" -> new ModLm(config, seed, dtype);
            default -> throw new UnsupportedOperationException("model.family '" + config.family()
                    + "' is not implemented yet (implemented: dense, moeut, moe, sut, sharcs, mod)");
        };
    }
}
