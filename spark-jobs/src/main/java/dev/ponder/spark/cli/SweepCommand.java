package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sweep", mixinStandardHelpOptions = true, description = "Runs a grid or list of overrides over a base config, then the comparison report.")
final class SweepCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "sweep YAML")
    String config;
    @Override
    public Integer call() {
        throw new PendingFeature("sweep", "issue 8");
    }
}
