/**
 * {@code ponder sweep}: a grid or list of configuration overrides over a base configuration,
 * one run directory per point, trained one after another or as concurrent Spark jobs in one
 * application, skipping runs that already finished, then the comparison report.
 */
package dev.ponder.spark.sweep;
