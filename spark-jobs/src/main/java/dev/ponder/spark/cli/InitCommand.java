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

@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Writes a step-0 checkpoint of a freshly initialised model (train --run-dir on it resumes from it).")
final class InitCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "run configuration YAML")
    String config;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", required = true, description = "run directory URI to hold checkpoints/step-000000000")
    String out;

    @Override
    public Integer call() {
        PrintWriter console = spec.commandLine().getOut();
        try (JavaSparkContext sc = SparkSessions.open("ponder init", parent.master, parent.sparkConf())) {
            ResolvedConfig cfg = RunConfigs.load(config, overrides, sc.hadoopConfiguration());
            console.println("init: wrote " + new TrainDriver(sc, cfg, out, console).writeInitialCheckpoint());
        }
        return 0;
    }
}
