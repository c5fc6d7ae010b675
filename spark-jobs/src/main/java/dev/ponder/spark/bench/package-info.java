/**
 * Distributed-training benchmarks on a Spark cluster (a loopback standalone one by default):
 * throughput with 1 and 2 executors, and where each averaging round's time goes. One training
 * run per Spark application, measured from its own metrics.jsonl round timings.
 */
package dev.ponder.spark.bench;
