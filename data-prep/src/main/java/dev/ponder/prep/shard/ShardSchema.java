package dev.ponder.prep.shard;

import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** The one Arrow schema of token shards, and the check that a file carries it. */
public final class ShardSchema {
    public static final int VERSION = 1;
    public static final String COLUMN = "tokens";
    public static final String META_VERSION = "ponder.schema_version";
    public static final String META_WINDOW = "ponder.window";

    private ShardSchema() {}

    /** window = T+1 token ids per row. */
    public static Schema of(int window) {
        Field item = new Field("item", FieldType.notNullable(new ArrowType.Int(32, true)), null);
        Field tokens = new Field(COLUMN, FieldType.notNullable(new ArrowType.FixedSizeList(window)), List.of(item));
        return new Schema(List.of(tokens), Map.of(
                META_VERSION, Integer.toString(VERSION),
                META_WINDOW, Integer.toString(window)));
    }

    /** Throws naming the file when {@code found} is not a version-1 shard schema with the expected window. */
    public static void check(Schema found, int expectedWindow, String file) {
        Schema expected = of(expectedWindow);
        boolean sameFields = found.getFields().equals(expected.getFields());
        String version = found.getCustomMetadata() == null ? null : found.getCustomMetadata().get(META_VERSION);
        if (!sameFields || !Integer.toString(VERSION).equals(version)) {
            throw new ShardFormatException(file + ": not a Ponder token shard (schema version " + VERSION
                    + "): expected fields " + expected.getFields() + " with " + META_VERSION + "=" + VERSION
                    + ", found fields " + found.getFields() + " with " + META_VERSION + "=" + version);
        }
    }
}
