package dev.ponder.spark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.spark.ckpt.CheckpointData;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.train.EvalCompute;
import dev.ponder.spark.train.Evaluator;
import dev.ponder.spark.train.TrainDriver;
import dev.ponder.spark.train.TrainPlan;
import dev.ponder.spark.train.TrainSettings;
import dev.ponder.spark.train.UnigramEntropy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Validation loss/perplexity and compute statistics of a checkpoint, as JSON on stdout.")
final class EvalCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "a run directory (its newest committed step) or a step directory")
    String checkpoint;

    @Option(names = "--data", required = true, description = "prepared dataset directory URI")
    String data;

    @Option(names = "--split", defaultValue = "val", description = "split to evaluate; default ${DEFAULT-VALUE}")
    String split;

    @Option(names = "--max-windows", defaultValue = "0", description = "evaluate at most this many windows (0: all)")
    long maxWindows;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable) on the checkpoint's configuration")
    List<String> overrides = new ArrayList<>();

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        try (JavaSparkContext sc = SparkSessions.open("ponder eval", parent.master, parent.sparkConf())) {
            CheckpointData ckpt = CheckpointStore.open(checkpoint, sc.hadoopConfiguration(),
                    w -> System.err.println("warning: " + w));
            Map<String, Object> meta = CheckpointStore.parseMeta(ckpt.metaJson());
            ResolvedConfig cfg = RunConfigs.fromCheckpoint((Map<String, Object>) meta.get("config"), overrides,
                    checkpoint + " (meta.json)");
            ShardDataset ds = ShardDataset.open(data, sc.hadoopConfiguration());
            TrainSettings settings = TrainSettings.from(cfg);
            TrainPlan plan = TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), settings, ds,
                    TrainDriver.threadsPerTask(sc, settings));
            if (!split.equals(Manifest.TRAIN) && !split.equals(Manifest.VAL)) {
                throw new IllegalArgumentException("--split: expected train or val, found " + split);
            }
            sc.setJobGroup("ponder-eval", "evaluate " + split, false);
            Evaluator.Totals t = Evaluator.evaluate(sc, plan, ckpt.params(), split, maxWindows);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("checkpoint", checkpoint);
            out.put("step", ckpt.step());
            out.put("family", cfg.getString("model.family"));
            out.put("parameters", ckpt.params().length);
            out.put("split", split);
            out.put("windows", t.windows());
            out.put("tokens", t.tokens());
            out.put("loss", t.loss());
            out.put("perplexity", t.perplexity());
            out.putAll(EvalCompute.fields(t));
            out.put("unigram_entropy", UnigramEntropy.of(sc, ds, Manifest.TRAIN));
            out.put("compute", compute(t, cfg));
            console.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
        }
        return 0;
    }

    /**
     * Per-token compute of the evaluated tokens (MODELS.md section 5): mean and histogram of every
     * per-token quantity the family reports (depth = layer applications, forward FLOPs, width,
     * blocks executed; executed counts where they vary, the analytic value where they do not), the model's other compute scalars as
     * token-weighted means, and SUT's halting threshold (as overridden with --set).
     */
    static Map<String, Object> compute(Evaluator.Totals t, ResolvedConfig cfg) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (cfg.getString("model.family").equals("sut")) {
            ModelConfig m = ModelConfig.fromMap(cfg.section("model"));
            c.put("halting_threshold", m.sut().haltingThreshold());
        }
        // every per-token histogram the evaluation gathered (depth, flops, width, blocks, ...)
        t.histograms().forEach((name, hist) -> {
            String key = name.equals("flops") ? "flops_per_token" : name;
            c.put(key + "_mean", hist.mean());
            c.put(key + "_histogram", hist.toValue().toMap());
        });
        t.scalarSums().keySet().forEach(name -> c.put(name, t.scalarMean(name)));
        return c;
    }
}
