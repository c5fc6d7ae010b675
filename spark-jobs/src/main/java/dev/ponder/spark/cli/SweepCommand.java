package dev.ponder.spark.cli;

import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.spark.sweep.SweepRunner;
import dev.ponder.spark.sweep.SweepSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Runs a grid or list of overrides over a base config (one run dir each, finished runs "
                + "skipped), then the comparison report.")
final class SweepCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "sweep YAML (see conf/sweep/)")
    String config;

    @Option(names = "--only", description = "run only these runs (repeatable), e.g. --only dense")
    List<String> only = new ArrayList<>();

    @Option(names = "--dry-run", description = "list the runs, their overrides and status; train nothing")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        Configuration conf = ReportCommand.hadoopConf(parent.sparkConf());
        String yaml;
        try {
            yaml = HadoopFiles.readString(HadoopFiles.qualify(config, conf), conf);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--config " + config + ": cannot read (" + e.getMessage() + ")", e);
        }
        SweepSpec sweep = SweepSpec.parse(yaml, config);
        SweepRunner runner = new SweepRunner(sweep, conf);
        List<SweepRunner.Planned> plan = runner.plan(only, conf);
        List<SweepRunner.Planned> todo = new ArrayList<>();
        for (SweepRunner.Planned p : plan) {
            console.printf("sweep: %-9s %s  %s%n", p.finished() ? "finished" : "to train", p.point().name(),
                    String.join(" ", p.point().sets()));
            if (!p.finished()) {
                todo.add(p);
            }
        }
        if (dryRun) {
            return 0;
        }
        Map<String, String> failures = Map.of();
        if (!todo.isEmpty()) { // a finished sweep only rewrites its report: no Spark needed
            Map<String, String> settings = new LinkedHashMap<>(parent.sparkConf());
            if (sweep.concurrent() > 1) {
                settings.putIfAbsent("spark.scheduler.mode", "FAIR"); // concurrent runs share executors evenly
            }
            try (JavaSparkContext sc = SparkSessions.open("ponder sweep", parent.master, settings)) {
                failures = runner.train(sc, todo, console);
            }
        }
        console.println("sweep: report " + runner.report(plan, conf));
        printComparison(plan, conf, console);
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " of " + todo.size() + " runs failed: " + failures);
        }
        return 0;
    }

    /** One line per finished run from its eval.json: the comparison at a glance on the console. */
    private static void printComparison(List<SweepRunner.Planned> plan, Configuration conf, PrintWriter console)
            throws java.io.IOException {
        console.printf("sweep: %-12s %-7s %12s %10s %10s %12s%n", "run", "family", "parameters", "val_loss",
                "val_ppl", "tokens/s");
        for (SweepRunner.Planned p : plan) {
            org.apache.hadoop.fs.Path eval = new org.apache.hadoop.fs.Path(
                    HadoopFiles.qualify(p.runDir(), conf), dev.ponder.spark.report.RunData.EVAL_FILE);
            if (!HadoopFiles.exists(eval, conf)) {
                console.printf("sweep: %-12s (no eval.json: not finished)%n", p.point().name());
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(HadoopFiles.readString(eval, conf));
            console.printf(java.util.Locale.ROOT, "sweep: %-12s %-7s %12d %10.4f %10.2f %12.0f%n", p.point().name(),
                    e.path("family").asText(), e.path("parameters").asLong(), e.path("val_loss").asDouble(),
                    e.path("val_ppl").asDouble(), e.path("tokens_per_s").asDouble(Double.NaN));
        }
    }
}
