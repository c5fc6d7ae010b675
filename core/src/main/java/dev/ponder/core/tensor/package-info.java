/**
 * Tensor utilities shared by every layer: shape checks that say what was expected and what was
 * found ({@link dev.ponder.core.tensor.Shapes}), a seeded splittable RNG with no global state
 * ({@link dev.ponder.core.tensor.Rng}), the per-step ND4J workspace that makes temporary arrays
 * cheap ({@link dev.ponder.core.tensor.StepWorkspace}), bulk copies between ND4J and Java arrays
 * ({@link dev.ponder.core.tensor.Bulk}) and thin named wrappers over the few ND4J ops the hot paths
 * use ({@link dev.ponder.core.tensor.Ops}).
 *
 * <p>Measured on the 2-core build machine (ND4J 1.0.0-M2.1, nd4j-native): allocating a fresh
 * off-heap array outside a workspace costs about 11 ms per 4 MB (page faults), i.e. more than the
 * arithmetic it feeds; inside a reused workspace it is free. Hence every training and evaluation step
 * runs inside a {@link dev.ponder.core.tensor.StepWorkspace}.
 */
package dev.ponder.core.tensor;
