package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Trains a model; resumes from the newest committed checkpoint in the run dir.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "model/train YAML")
    String config;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--run-dir", required = true, description = "run directory URI (checkpoints, metrics)")
    String runDir;
    @Override
    public Integer call() {
        throw new PendingFeature("train", "issue 3");
    }
}
