package dev.ponder.spark.ckpt;

/**
 * The content of one checkpoint.
 *
 * @param step optimizer steps taken
 * @param params the flat parameter buffer
 * @param optimizerState the flat optimizer state (e.g. Adam m and v)
 * @param metaJson step, data cursors, RNG state, resolved config, provenance, tensor index
 */
public record CheckpointData(long step, float[] params, float[] optimizerState, String metaJson) {}
