package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true, description = "Exports weights with the reference implementation'\''s parameter names.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "checkpoint URI")
    String checkpoint;

    @Option(names = "--format", defaultValue = "safetensors", description = "safetensors")
    String format;

    @Option(names = "--out", required = true, description = "output file")
    String out;
    @Override
    public Integer call() {
        throw new PendingFeature("export", "issue 4");
    }
}
