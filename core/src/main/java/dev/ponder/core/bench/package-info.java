/**
 * Throughput benchmarks runnable as plain main classes (and callable from the CLI's bench
 * command): {@link dev.ponder.core.bench.DenseStepBench} times training steps of the dense model
 * against an SGEMM peak measured on the spot; {@link dev.ponder.core.bench.ModCapacityBench} times
 * Mixture-of-Depths steps at several capacities side by side ({@code ponder bench capacity}).
 */
package dev.ponder.core.bench;
