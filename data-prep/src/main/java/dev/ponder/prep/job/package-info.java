/**
 * {@code ponder prep}: a Spark job from text files (file, hdfs, s3a; plain or .gz) or the
 * built-in Europarl sample to a tokenizer and Arrow shards of fixed-length token windows.
 *
 * <p>A document is one line of input. Documents go to the validation split by a seeded hash of
 * their bytes (identical lines always land in the same split). Within a partition the tokens of
 * a split's documents are concatenated, each line followed by its newline, and cut into windows
 * of T+1 ids with stride T, so every token but a partition's first is a prediction target once.
 */
package dev.ponder.prep.job;
