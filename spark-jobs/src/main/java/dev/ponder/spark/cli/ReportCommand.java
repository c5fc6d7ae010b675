package dev.ponder.spark.cli;

import dev.ponder.spark.report.HtmlReport;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Self-contained HTML report comparing runs (loss curves, per-token compute histograms, "
                + "expert load heatmaps, comparison table); no Spark job, no network.")
final class ReportCommand implements Callable<Integer> {
    @ParentCommand
    PonderCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--runs", arity = "1..*", required = true, description = "run directory URIs")
    List<String> runs;

    @Option(names = "--out", description = "HTML file URI (default: <first run>/report.html)")
    String out;

    @Override
    public Integer call() {
        String target = out != null ? out : runs.get(0).replaceAll("/+$", "") + "/report.html";
        var written = HtmlReport.write(runs, target, hadoopConf(parent.sparkConf()));
        spec.commandLine().getOut().println("report: " + written);
        return 0;
    }

    /** Hadoop settings from --conf spark.hadoop.KEY=VALUE, as Spark would pass them (no Spark needed here). */
    static Configuration hadoopConf(Map<String, String> sparkConf) {
        Configuration conf = new Configuration();
        sparkConf.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                conf.set(k.substring("spark.hadoop.".length()), v);
            }
        });
        return conf;
    }
}
