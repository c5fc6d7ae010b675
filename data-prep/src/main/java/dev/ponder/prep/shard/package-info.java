/**
 * Arrow IPC token shards: the schema, a writer, a reader, the manifest and a deterministic,
 * seekable window stream that training jobs read their slice with.
 *
 * <p>Schema (schema version 1), readable by pyarrow: one column {@code tokens} of type
 * {@code fixed_size_list<item: int32 not null>[T+1]} (not null); each row is one window of T+1
 * token ids. Schema metadata: {@code ponder.schema_version}, {@code ponder.window}.
 * In Python: {@code pyarrow.ipc.open_file(path).read_all().column("tokens")}.
 */
package dev.ponder.prep.shard;
