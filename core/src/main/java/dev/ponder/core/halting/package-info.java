/**
 * Per-token halting for universal transformers.
 *
 * <p>{@link dev.ponder.core.halting.HaltingGate} is SUT's gate network (Linear -> GELU -> Linear(d, 2)
 * -> log-softmax); {@link dev.ponder.core.halting.StickBreaking} is the stick-breaking recurrence on
 * the host (probability of not having halted, halting probabilities, expected depth, the routing mask
 * and the set of tokens still running), forward and backward. The model keeps the vector part
 * (the halting-weighted accumulation of states and the frozen states): see
 * {@code dev.ponder.core.model.SutRecurrence}.
 */
package dev.ponder.core.halting;
