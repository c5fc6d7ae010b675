/**
 * Checkpoints over the Hadoop FileSystem API (file, hdfs, s3a). A checkpoint is a directory
 * {@code <run-dir>/checkpoints/step-NNNNNNNNN/} holding {@code params.f32}, {@code optimizer.f32}
 * (little-endian float32) and {@code meta.json}; the small {@code COMMIT} object, which lists the
 * files with their sizes and sha256, is written last. No directory is ever renamed (s3a has no
 * atomic rename): a step without a valid COMMIT does not exist for readers.
 */
package dev.ponder.spark.ckpt;
