package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true, description = "Writes a step-0 checkpoint of a freshly initialised model.")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "model/train YAML")
    String config;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", required = true, description = "checkpoint directory URI")
    String out;
    @Override
    public Integer call() {
        throw new PendingFeature("init", "issue 3");
    }
}
