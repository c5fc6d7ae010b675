/**
 * Mergeable per-step metrics that travel with training results (Spark aggregates them by
 * addition): {@link dev.ponder.core.metrics.RoutingStats}, the expert load per routed module and
 * repeat with its balance statistics and the histogram of experts executed per token.
 * {@link dev.ponder.core.metrics.PhaseTimer} is a benchmark-only hook that splits a step's wall time
 * into named phases (off unless installed on the thread).
 */
package dev.ponder.core.metrics;
