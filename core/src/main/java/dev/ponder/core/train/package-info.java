/**
 * One replica's training step (gradient, clip, schedule, AdamW) over a {@code LanguageModel}:
 * the unit that the Spark workers, the benchmark and single-process tests all run, so that
 * "one worker, one local step" and plain training are the same code.
 */
package dev.ponder.core.train;
