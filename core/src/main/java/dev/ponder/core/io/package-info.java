/**
 * File formats shared with other tools, without Hadoop: safetensors (weights, score outputs) and
 * NumPy .npy (token batches). Callers move the bytes through whatever file system they use.
 */
package dev.ponder.core.io;
