/**
 * Model families as wirings of the generic blocks in {@code nn}: the validated
 * {@link dev.ponder.core.model.ModelConfig}, the {@link dev.ponder.core.model.LanguageModel}
 * interface every family implements, {@link dev.ponder.core.model.ModelFactory}, the analytic
 * {@link dev.ponder.core.model.FlopCount}, and the dense pre-LN baseline
 * ({@link dev.ponder.core.model.DenseLm}, MODELS.md section 0). The Sparse Universal Transformer
 * ({@link dev.ponder.core.model.SutLm}, section 2) runs one shared layer on the rows of the tokens
 * that have not halted ({@code SutRecurrence}). SHARCS
 * ({@link dev.ponder.core.model.SharcsLm}, MODELS.md section 3): the dense blocks run at a routed
 * width, trained per width bucket, evaluated by causal routed inference
 * ({@link dev.ponder.core.model.SharcsInference}).
 *
 * <p>Blocks implement {@link dev.ponder.core.model.ResidualBlock} (a residual update of B
 * subsequences of token rows at explicit positions), which is what Mixture-of-Depths
 * ({@link dev.ponder.core.model.ModLm}, {@link dev.ponder.core.model.ModBlock}, MODELS.md section 4)
 * routes around: dense, MoE and MoEUT blocks alike, chosen by model.mod_block.
 */
package dev.ponder.core.model;
