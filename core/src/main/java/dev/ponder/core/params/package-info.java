/**
 * One flat parameter buffer and one flat gradient buffer with the same layout; every named tensor
 * is a c-order view into both. Averaging across workers, clipping, weight decay and the optimizer
 * are therefore single operations on two arrays, and a checkpoint is the flat buffer plus the
 * ordered (name, shape, offset) index.
 *
 * <p>Flow: layers register their tensors with a {@link dev.ponder.core.params.ParamRegistry} in
 * their constructors and keep the returned {@link dev.ponder.core.params.Param} handles;
 * {@link dev.ponder.core.params.ParamRegistry#build} allocates the buffers (FLOAT for training,
 * DOUBLE for gradient checks), binds every handle to its views and initialises each tensor from
 * {@code Rng(seed).split(name)}, so values depend only on the seed and the name.
 *
 * <p>Gradients are accumulated ({@code +=}) by backward passes; the training loop calls
 * {@link dev.ponder.core.params.ParamStore#zeroGrads()} before each step.
 */
package dev.ponder.core.params;
