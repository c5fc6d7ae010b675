/**
 * The one entry point {@code ponder} (picocli) with its subcommands; the same main class runs
 * under {@code submit/ponder} (local JVM) and under spark-submit ({@code submit/ponder-submit}).
 */
package dev.ponder.spark.cli;
