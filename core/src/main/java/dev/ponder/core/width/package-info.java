/**
 * SHARCS dynamic width (MODELS.md section 3): what a width means for the layer shapes
 * ({@link dev.ponder.core.width.Width}), the width router's causal pooling and MLP
 * ({@link dev.ponder.core.width.CausalPool}, {@link dev.ponder.core.width.WidthRouter}) with its
 * multi-hot BCE loss ({@link dev.ponder.core.width.RouterLoss}), and the router's labels: each
 * training window's confidence over its last visits ({@link dev.ponder.core.width.ConfidenceHistory})
 * mapped to widths by configured ranges ({@link dev.ponder.core.width.WidthLabels}).
 *
 * <p>Nothing here is static mutable state: the history lives in the model replica of a task, is
 * read from the round's broadcast and its new visits go back with the round result.
 */
package dev.ponder.core.width;
