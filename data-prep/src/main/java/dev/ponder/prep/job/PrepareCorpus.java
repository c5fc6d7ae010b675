package dev.ponder.prep.job;

import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.prep.io.SerializableHadoopConf;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardInfo;
import dev.ponder.prep.shard.ShardSchema;
import dev.ponder.prep.tokenizer.BpeTokenizer;
import dev.ponder.prep.tokenizer.BpeTrainer;
import dev.ponder.prep.tokenizer.WordBytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Driver of {@code ponder prep}: check inputs and output, train (or take) the tokenizer, encode
 * and write shards on the executors, then write manifest.json last.
 */
public final class PrepareCorpus {
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** Timings and sizes of one run, for the console and benchmarks. */
    public record Report(Manifest manifest, String outDir, long inputBytes, double tokenizerSeconds,
            double encodeSeconds, int words) {}

    private PrepareCorpus() {}

    public static Report run(JavaSparkContext sc, PrepOptions options, Consumer<String> log) {
        Configuration conf = sc.hadoopConfiguration();
        Path out = HadoopFiles.qualify(options.out(), conf);
        CorpusSource.checkInputs(options.inputs(), conf); // before touching --out: bad input loses nothing
        prepareOutput(out, options.overwrite(), conf);

        JavaRDD<byte[]> docs = CorpusSource.lines(sc, options.inputs(), options.partitions());
        long t0 = System.nanoTime();
        BpeTokenizer tokenizer;
        int words = 0;
        if (options.tokenizer().equals("byte")) {
            tokenizer = BpeTokenizer.byteLevel();
        } else {
            sc.setJobDescription("prep: count words");
            Map<WordBytes, Long> counts = CountWords.count(docs);
            words = counts.size();
            if (counts.isEmpty()) {
                throw new IllegalArgumentException("--input " + String.join(" ", options.inputs())
                        + ": no text found to train the tokenizer on");
            }
            log.accept("prep: " + words + " distinct words counted; training BPE to vocab " + options.vocabSize());
            tokenizer = BpeTrainer.train(new HashMap<>(counts), options.vocabSize());
        }
        double tokSeconds = (System.nanoTime() - t0) / 1e9;
        HadoopFiles.writeString(new Path(out, TOKENIZER_FILE), tokenizer.toJson(), conf);

        long t1 = System.nanoTime();
        Broadcast<BpeTokenizer> btok = sc.broadcast(tokenizer);
        sc.setJobDescription("prep: encode and write shards");
        List<PartitionResult> results;
        try {
            results = docs.mapPartitionsWithIndex(
                    new EncodePartition(options, out.toString(), new SerializableHadoopConf(conf), btok), false)
                    .collect();
        } finally {
            btok.destroy();
        }
        double encSeconds = (System.nanoTime() - t1) / 1e9;

        List<ShardInfo> shards = new ArrayList<>();
        Map<String, long[]> counters = new HashMap<>();
        for (PartitionResult r : results) {
            shards.addAll(r.shards());
            r.counters().forEach((split, c) -> {
                long[] acc = counters.computeIfAbsent(split, k -> new long[c.length]);
                for (int i = 0; i < c.length; i++) {
                    acc[i] += c[i];
                }
            });
        }
        // Train shards first, each split in partition order: the reading order of the manifest.
        shards.sort((a, b) -> a.split().equals(b.split()) ? a.path().compareTo(b.path())
                : a.split().equals(Manifest.TRAIN) ? -1 : 1);
        deleteQuietly(new Path(out, "_temporary"), conf);
        long inputBytes = counters.values().stream().mapToLong(c -> c[1]).sum();
        Manifest manifest = new Manifest(ShardSchema.VERSION, options.seqLen(), options.window(),
                tokenizer.vocabSize(), TOKENIZER_FILE, tokenizer.sha256(), options.tokenizer(), options.seed(),
                options.valFraction(), options.inputs(), Manifest.totals(shards, counters), shards,
                Instant.now().toString());
        if (manifest.shardsOf(Manifest.TRAIN).isEmpty()) {
            throw new IllegalArgumentException("--input " + String.join(" ", options.inputs())
                    + ": too little text for one training window of seq_len + 1 = " + options.window()
                    + " tokens; use a smaller --seq-len or more input (no manifest written)");
        }
        manifest.write(out, conf);
        return new Report(manifest, out.toString(), inputBytes, tokSeconds, encSeconds, words);
    }

    /** Refuses an existing output unless asked to overwrite: nothing already written is lost by accident. */
    private static void prepareOutput(Path out, boolean overwrite, Configuration conf) {
        FileSystem fs = HadoopFiles.fs(out, conf);
        try {
            if (fs.exists(out)) {
                if (!overwrite) {
                    throw new IllegalArgumentException("--out " + out + ": already exists (expected a new "
                            + "location; pass --overwrite to replace it)");
                }
                fs.delete(out, true);
            }
            fs.mkdirs(out);
        } catch (IOException e) {
            throw new UncheckedIOException("--out " + out + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p, Configuration conf) {
        try {
            HadoopFiles.fs(p, conf).delete(p, true);
        } catch (IOException e) {
            // a leftover _temporary directory is harmless: readers only follow the manifest
        }
    }
}
