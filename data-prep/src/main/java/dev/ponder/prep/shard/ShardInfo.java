package dev.ponder.prep.shard;

/**
 * One published shard as listed in manifest.json.
 *
 * @param path relative to the dataset directory, e.g. {@code shards/train-00003-000.arrow}
 * @param split {@code train} or {@code val}
 * @param rows windows in the file
 * @param tokens token ids stored (rows x window)
 * @param sha256 hex digest of the file bytes
 */
public record ShardInfo(String path, String split, long rows, long tokens, String sha256)
        implements java.io.Serializable {}
