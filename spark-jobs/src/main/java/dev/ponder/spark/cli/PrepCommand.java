package dev.ponder.spark.cli;

import dev.ponder.prep.job.CorpusSource;
import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import dev.ponder.prep.shard.Manifest;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "prep", mixinStandardHelpOptions = true,
        description = "Corpus -> tokenizer.json + Arrow shards of token windows + manifest.json (a Spark job).")
final class PrepCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", arity = "1..*", required = true,
            description = "text URIs or globs (file://, hdfs://, s3a://, local paths; .txt or .gz), or "
                    + CorpusSource.SAMPLE + " (the built-in Europarl sample)")
    List<String> inputs;

    @Option(names = "--out", required = true, description = "output directory URI")
    String out;

    @Option(names = "--tokenizer", defaultValue = "bpe", description = "bpe (trained on the corpus) or byte (vocab 256); default ${DEFAULT-VALUE}")
    String tokenizer;

    @Option(names = "--vocab", defaultValue = "" + PrepOptions.DEFAULT_VOCAB, description = "BPE vocabulary size; default ${DEFAULT-VALUE}")
    int vocab;

    @Option(names = "--seq-len", defaultValue = "" + PrepOptions.DEFAULT_SEQ_LEN, description = "T: each row holds T+1 ids; default ${DEFAULT-VALUE}")
    int seqLen;

    @Option(names = "--val-fraction", defaultValue = "" + PrepOptions.DEFAULT_VAL_FRACTION, description = "share of documents (lines) in the validation split; default ${DEFAULT-VALUE}")
    double valFraction;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the train/validation split; default ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--partitions", defaultValue = "0", description = "Spark partitions for encoding (0: Spark's default)")
    int partitions;

    @Option(names = "--rows-per-shard", defaultValue = "" + PrepOptions.DEFAULT_ROWS_PER_SHARD, description = "maximum windows per shard file; default ${DEFAULT-VALUE}")
    int rowsPerShard;

    @Option(names = "--overwrite", description = "replace an existing output directory")
    boolean overwrite;

    @Override
    public Integer call() {
        PrepOptions options = new PrepOptions(inputs, out, tokenizer, vocab, seqLen, valFraction, seed, partitions,
                rowsPerShard, overwrite);
        PrintWriter console = spec.commandLine().getOut();
        try (JavaSparkContext sc = SparkSessions.open("ponder prep", parent.master, parent.sparkConf())) {
            PrepareCorpus.Report r = PrepareCorpus.run(sc, options, console::println);
            Manifest m = r.manifest();
            double mb = r.inputBytes() / 1e6;
            Manifest.SplitStats train = m.splits().get(Manifest.TRAIN);
            Manifest.SplitStats val = m.splits().get(Manifest.VAL);
            long encodedTokens = train.tokens() + val.tokens();
            console.printf("prep: %.1f MB of text, %d documents -> %d train windows, %d val windows of %d ids%n",
                    mb, train.documents() + val.documents(), train.rows(), val.rows(), m.window());
            console.printf("prep: tokenizer %s vocab %d in %.2f s (%.1f MB/s); encode+write %.2f s (%.1f MB/s)%n",
                    m.tokenizerType(), m.vocabSize(), r.tokenizerSeconds(), mb / Math.max(1e-9, r.tokenizerSeconds()),
                    r.encodeSeconds(), mb / Math.max(1e-9, r.encodeSeconds()));
            long encoded = train.encodedTokens() + val.encodedTokens();
            console.printf("prep: %.3f tokens per byte (%d tokens); %d ids stored; dropped at partition ends: %d%n",
                    encoded / Math.max(1.0, r.inputBytes()), encoded, encodedTokens,
                    train.droppedTokens() + val.droppedTokens());
            console.println("prep: wrote " + r.outDir());
        }
        return 0;
    }
}
