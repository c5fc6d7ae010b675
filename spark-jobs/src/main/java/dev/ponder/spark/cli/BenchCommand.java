package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Train.class, BenchPrep.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.ParentCommand
    PonderCli parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing benchmark (try: bench train --help)");
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Training throughput; last line tokens_per_s=X mfu=Y peak_gflops=Z.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "model/train YAML")
        String config;

        @Option(names = "--steps", defaultValue = "20", description = "timed steps; default ${DEFAULT-VALUE}")
        int steps;

        @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() {
            throw new PendingFeature("bench train", "issue 3");
        }
    }
}
