/**
 * Throughput benchmarks runnable as plain main classes (and callable from the CLI's bench
 * command): {@link dev.ponder.core.bench.DenseStepBench} times training steps of the dense model
 * against an SGEMM peak measured on the spot.
 */
package dev.ponder.core.bench;
