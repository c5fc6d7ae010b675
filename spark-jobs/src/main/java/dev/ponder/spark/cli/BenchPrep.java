package dev.ponder.spark.cli;

import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ponder bench prep}: the prep job end to end, several times in one Spark context, so the
 * first (cold JVM) and later (warm) runs are reported side by side.
 */
@Command(name = "prep", mixinStandardHelpOptions = true,
        description = "Prep throughput: tokenizer training and encode+write MB/s; last line tokenizer_mb_s=X encode_mb_s=Y.")
final class BenchPrep implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", arity = "1..*", required = true, description = "text URIs or sample:europarl")
    List<String> inputs;

    @Option(names = "--vocab", defaultValue = "8192", description = "BPE vocabulary; default ${DEFAULT-VALUE}")
    int vocab;

    @Option(names = "--seq-len", defaultValue = "256", description = "window length - 1; default ${DEFAULT-VALUE}")
    int seqLen;

    @Option(names = "--repeats", defaultValue = "3", description = "runs in one JVM; default ${DEFAULT-VALUE}")
    int repeats;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path tmp = Files.createTempDirectory("ponder-bench-prep");
        double tokMbS = 0;
        double encMbS = 0;
        try (JavaSparkContext sc = SparkSessions.open("ponder bench prep", bench.parent.master, bench.parent.sparkConf())) {
            for (int i = 0; i < repeats; i++) {
                PrepOptions o = new PrepOptions(inputs, tmp.resolve("run" + i).toString(), "bpe", vocab, seqLen,
                        PrepOptions.DEFAULT_VAL_FRACTION, 0, 0, PrepOptions.DEFAULT_ROWS_PER_SHARD, true);
                PrepareCorpus.Report r = PrepareCorpus.run(sc, o, s -> { });
                double mb = r.inputBytes() / 1e6;
                tokMbS = mb / r.tokenizerSeconds();
                encMbS = mb / r.encodeSeconds();
                out.printf("run %d (%s): %.1f MB, tokenizer %.2f s (%.1f MB/s), encode+write %.2f s (%.1f MB/s)%n", i + 1,
                        i == 0 ? "cold JVM" : "warm", mb, r.tokenizerSeconds(), tokMbS, r.encodeSeconds(), encMbS);
            }
        } finally {
            try (var paths = Files.walk(tmp)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        out.printf("tokenizer_mb_s=%.2f encode_mb_s=%.2f master=%s%n", tokMbS, encMbS,
                bench.parent.master == null ? "local[*]" : bench.parent.master);
        return 0;
    }
}
