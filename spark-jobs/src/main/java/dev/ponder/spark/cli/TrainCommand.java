package dev.ponder.spark.cli;

import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.train.TrainDriver;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a model; resumes from the newest committed checkpoint in the run dir.")
final class TrainCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "run configuration YAML (model, train, data)")
    String config;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable), e.g. train.steps=200")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--run-dir", required = true, description = "run directory URI (checkpoints, metrics.jsonl)")
    String runDir;

    @Override
    public Integer call() {
        PrintWriter console = spec.commandLine().getOut();
        try (JavaSparkContext sc = SparkSessions.open("ponder train", parent.master, parent.sparkConf())) {
            ResolvedConfig cfg = RunConfigs.load(config, overrides, sc.hadoopConfiguration());
            TrainDriver.Summary s = new TrainDriver(sc, cfg, runDir, console).run();
            console.printf("train: step %d, last train loss %.4f, val loss %.4f (ppl %.2f) on %d windows, %.0f tokens/s%n",
                    s.step(), s.lastLoss(), s.validation().loss(), s.validation().perplexity(),
                    s.validation().windows(), s.tokensPerSecond());
            console.println("train: run dir " + s.runDir());
        }
        return 0;
    }
}
