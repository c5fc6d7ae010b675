package dev.ponder.spark.train;

import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import dev.ponder.spark.config.ConfigLoader;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.config.RunSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** A real local Spark, a small prepared corpus and a tiny dense configuration for training tests. */
final class TrainFixtures {
    private TrainFixtures() {}

    static JavaSparkContext spark(String master) {
        JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster(master).setAppName("ponder-train-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false"));
        sc.setLogLevel("WARN");
        return sc;
    }

    /** Stops a test class's Spark and deletes its temporary directory. */
    static void closeAndDelete(JavaSparkContext sc, Path tmp) throws java.io.IOException {
        sc.close();
        try (java.util.stream.Stream<Path> s = Files.walk(tmp)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A byte-tokenized corpus of simple repetitive sentences (learnable in a few steps). */
    static String prepareCorpus(JavaSparkContext sc, Path dir, int seqLen) throws Exception {
        SplittableRandom rnd = new SplittableRandom(11);
        String[] subjects = {"the cat", "a dog", "my friend", "the council", "our member"};
        String[] verbs = {"sees", "likes", "votes for", "reads", "writes"};
        String[] objects = {"the report.", "a letter.", "the proposal.", "fresh bread.", "the law."};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append(subjects[rnd.nextInt(5)]).append(' ').append(verbs[rnd.nextInt(5)]).append(' ')
                    .append(objects[rnd.nextInt(5)]).append('\n');
        }
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, sb.toString(), StandardCharsets.UTF_8);
        String out = dir.resolve("data").toString();
        PrepareCorpus.run(sc, new PrepOptions(List.of(corpus.toString()), out, "byte", 256, seqLen, 0.05, 0, 2, 1000,
                false), s -> { });
        return out;
    }

    static ResolvedConfig config(String dataPath, String... sets) {
        String yaml = String.join("\n",
                "seed: 5",
                "data: {path: '" + dataPath + "'}",
                "train: {steps: 6, batch_size: 4, seq_len: 16, lr: 3.0e-3, warmup_steps: 2, checkpoint_every: 3,",
                "        keep_checkpoints: 5, eval_batches: 2, grad_clip: 1.0}",
                "model: {family: dense, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_ff: 64,",
                "        context_length: 64}",
                "");
        List<String> overrides = new ArrayList<>(Arrays.asList(sets));
        return ConfigLoader.resolve(yaml, "fixture", overrides, RunSchema::forRaw);
    }
}
