/**
 * What a run leaves for people to look at: TensorBoard event files ({@code <run-dir>/tb/}, the
 * TFRecord framing and the few protobuf messages TensorBoard reads, encoded by hand so no
 * TensorFlow or protobuf dependency is needed), mergeable histograms of per-token compute, and
 * the self-contained HTML report that compares runs ({@code ponder report}, {@code ponder sweep}).
 */
package dev.ponder.spark.report;
