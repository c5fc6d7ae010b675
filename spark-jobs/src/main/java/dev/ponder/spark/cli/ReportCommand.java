package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "report", mixinStandardHelpOptions = true, description = "Self-contained HTML report comparing runs.")
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--runs", arity = "1..*", required = true, description = "run directory URIs")
    List<String> runs;
    @Override
    public Integer call() {
        throw new PendingFeature("report", "issue 8");
    }
}
