package dev.ponder.prep.job;

import dev.ponder.prep.shard.ShardInfo;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What one encoding task published.
 *
 * @param shards the shards it wrote, in order
 * @param counters per split: {documents, bytes, encoded tokens, dropped tokens}
 */
record PartitionResult(List<ShardInfo> shards, Map<String, long[]> counters) implements Serializable {}
