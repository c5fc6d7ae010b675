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
     * A freshly initialised model; parameters depend only on (config, seed) and are stored in
     * {@code dtype} (FLOAT to train, DOUBLE for gradient checks).
     */
    public static LanguageModel create(ModelConfig config, long seed, DataType dtype) {
        return switch (config.family()) {
            case "dense" -> new DenseLm(config, seed, dtype);
            case "moeut" -> new MoeutLm(config, seed, dtype);
            case "moe" -> new MoeLm(config, seed, dtype);
            default -> throw new UnsupportedOperationException("model.family '" + config.family()
                    + "' is not implemented yet (implemented: dense, moeut, moe)");
        };
    }
}
