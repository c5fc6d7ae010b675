/**
 * Optimisation on the flat buffers: {@link dev.ponder.core.optim.AdamW} (ND4J's Adam updater on
 * the whole flat gradient with one flat state array, plus decoupled weight decay),
 * {@link dev.ponder.core.optim.LrSchedule} (a pure function of the step) and
 * {@link dev.ponder.core.optim.GradClip} (global-norm clipping). Each is one or a few ND4J ops
 * however many tensors the model has.
 */
package dev.ponder.core.optim;
