package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "Validation loss/perplexity and compute statistics as JSON.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "checkpoint or run directory URI")
    String checkpoint;

    @Option(names = "--data", required = true, description = "prepared dataset directory URI")
    String data;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();
    @Override
    public Integer call() {
        throw new PendingFeature("eval", "issue 3");
    }
}
