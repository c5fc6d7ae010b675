/**
 * Mergeable per-step metrics that travel with training results (Spark aggregates them by
 * addition): {@link dev.ponder.core.metrics.RoutingStats}, the expert load per routed module and
 * repeat with its balance statistics and the histogram of experts executed per token.
 */
package dev.ponder.core.metrics;
