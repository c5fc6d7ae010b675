/**
 * Data-parallel training with parameter averaging: the driver loop ({@link TrainDriver}), the
 * only object closures capture ({@link TrainPlan}), the executor-side
 * {@link PartitionTrainer} and the mergeable {@link RoundResult}.
 *
 * <p>Each round the driver broadcasts the flat parameters, the optimizer state, the step and
 * every worker's data cursor; partition p trains {@code local_steps} steps on slice p of the
 * training windows; a tree reduction sums parameters, optimizer states, losses and token counts;
 * the driver divides by the number of workers. Randomness is a pure function of (seed, step,
 * worker), so a resumed run needs no RNG state beyond the step.
 */
package dev.ponder.spark.train;
