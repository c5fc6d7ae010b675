package dev.ponder.prep.job;

import dev.ponder.prep.io.SerializableHadoopConf;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardInfo;
import dev.ponder.prep.tokenizer.BpeTokenizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * Executor side of {@code ponder prep}: encodes a partition's documents with the broadcast
 * tokenizer and writes its train and validation shards. Captures only the options, the output
 * directory, the Hadoop configuration and the broadcast handle.
 */
final class EncodePartition implements Function2<Integer, Iterator<byte[]>, Iterator<PartitionResult>> {
    private static final long serialVersionUID = 1L;

    private final PrepOptions options;
    private final String outDir;
    private final SerializableHadoopConf conf;
    private final Broadcast<BpeTokenizer> tokenizer;

    EncodePartition(PrepOptions options, String outDir, SerializableHadoopConf conf, Broadcast<BpeTokenizer> tokenizer) {
        this.options = options;
        this.outDir = outDir;
        this.conf = conf;
        this.tokenizer = tokenizer;
    }

    @Override
    public Iterator<PartitionResult> call(Integer partition, Iterator<byte[]> docs) throws Exception {
        Path out = new Path(outDir);
        FileSystem fs = out.getFileSystem(conf.get());
        TaskContext task = TaskContext.get();
        long attempt = task == null ? 0 : task.taskAttemptId();
        BpeTokenizer tok = tokenizer.value();
        DocumentSplit splitter = new DocumentSplit(options.seed(), options.valFraction());
        SplitShardWriter train = new SplitShardWriter(fs, out, Manifest.TRAIN, partition, attempt,
                options.window(), options.rowsPerShard());
        SplitShardWriter val = new SplitShardWriter(fs, out, Manifest.VAL, partition, attempt,
                options.window(), options.rowsPerShard());
        LineBuffer line = new LineBuffer();
        while (docs.hasNext()) {
            byte[] doc = docs.next();
            SplitShardWriter w = splitter.isValidation(doc) ? val : train;
            int n = line.load(doc);
            w.countDocument(n);
            tok.encode(line.bytes(), 0, n, w::add);
        }
        long[] trainCounts = train.finish();
        long[] valCounts = val.finish();
        List<ShardInfo> shards = new ArrayList<>(train.published());
        shards.addAll(val.published());
        return List.of(new PartitionResult(shards, Map.of(Manifest.TRAIN, trainCounts, Manifest.VAL, valCounts)))
                .iterator();
    }
}
