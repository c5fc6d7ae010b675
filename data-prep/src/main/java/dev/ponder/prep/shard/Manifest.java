package dev.ponder.prep.shard;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ponder.prep.io.HadoopFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * manifest.json of a prepared dataset, written last by {@code ponder prep}: its presence means
 * every listed shard is complete. Keys are snake_case; unknown keys are ignored on read so that
 * newer writers stay readable, but the schema version must match.
 *
 * @param schemaVersion shard schema version ({@link ShardSchema#VERSION})
 * @param seqLen T; each row holds T+1 ids (window), consecutive windows overlap by one token
 * @param window T+1
 * @param vocabSize tokenizer vocabulary size
 * @param tokenizerFile relative path of tokenizer.json
 * @param tokenizerSha256 hex digest of tokenizer.json
 * @param tokenizerType {@code bpe} or {@code byte}
 * @param seed seed of the train/validation split
 * @param valFraction fraction of documents (lines) sent to the validation split
 * @param sources input URIs as given
 * @param splits per split: rows, tokens (ids stored), documents, bytes (with newlines),
 *     encoded_tokens (tokenizer output), dropped_tokens (partition tails in no window)
 * @param shards every shard, in reading order
 * @param created ISO-8601 time of writing
 */
public record Manifest(
        int schemaVersion,
        int seqLen,
        int window,
        int vocabSize,
        String tokenizerFile,
        String tokenizerSha256,
        String tokenizerType,
        long seed,
        double valFraction,
        List<String> sources,
        Map<String, SplitStats> splits,
        List<ShardInfo> shards,
        String created) implements java.io.Serializable {

    public static final String FILE = "manifest.json";
    public static final String TRAIN = "train";
    public static final String VAL = "val";

    /** Totals of one split. */
    public record SplitStats(long rows, long tokens, long documents, long bytes, long encodedTokens,
            long droppedTokens) implements java.io.Serializable {}

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public List<ShardInfo> shardsOf(String split) {
        List<ShardInfo> out = new ArrayList<>();
        for (ShardInfo s : shards) {
            if (s.split().equals(split)) {
                out.add(s);
            }
        }
        return out;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Manifest fromJson(String json, String where) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new ShardFormatException(where + ": not a valid manifest.json: " + e.getMessage(), e);
        }
        if (m.schemaVersion() != ShardSchema.VERSION) {
            throw new ShardFormatException(where + ": schema_version expected " + ShardSchema.VERSION
                    + ", found " + m.schemaVersion());
        }
        if (m.window() != m.seqLen() + 1 || m.shards() == null) {
            throw new ShardFormatException(where + ": inconsistent manifest (window " + m.window()
                    + " must be seq_len " + m.seqLen() + " + 1, shards listed: " + (m.shards() != null) + ")");
        }
        return m;
    }

    /** Reads {@code dir/manifest.json}; errors say when the directory is not a prep output. */
    public static Manifest read(Path dir, Configuration conf) {
        Path file = new Path(dir, FILE);
        if (!HadoopFiles.exists(file, conf)) {
            throw new ShardFormatException("no " + FILE + " in " + dir
                    + ": not a complete `ponder prep` output (missing or still being written)");
        }
        return fromJson(HadoopFiles.readString(file, conf), file.toString());
    }

    public void write(Path dir, Configuration conf) {
        HadoopFiles.writeString(new Path(dir, FILE), toJson(), conf);
    }

    /** Per-split totals computed from shard entries plus the extra counters the job collected. */
    /** {@code counters}: per split {documents, bytes, encoded tokens, dropped tokens}. */
    public static Map<String, SplitStats> totals(List<ShardInfo> shards, Map<String, long[]> counters) {
        Map<String, SplitStats> out = new LinkedHashMap<>();
        for (String split : List.of(TRAIN, VAL)) {
            long rows = 0;
            long tokens = 0;
            for (ShardInfo s : shards) {
                if (s.split().equals(split)) {
                    rows += s.rows();
                    tokens += s.tokens();
                }
            }
            long[] c = counters.getOrDefault(split, new long[4]);
            out.put(split, new SplitStats(rows, tokens, c[0], c[1], c[2], c[3]));
        }
        return out;
    }
}
