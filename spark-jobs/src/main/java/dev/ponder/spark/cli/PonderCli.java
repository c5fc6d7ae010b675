package dev.ponder.spark.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ponder [--master M] [--conf KEY=VALUE]... SUBCOMMAND ...}. Spark settings go before the
 * subcommand, as with spark-submit. Exit codes: 0 ok, 2 bad arguments or input (one-line reason
 * on stderr), 1 any other failure.
 */
@Command(name = "ponder", mixinStandardHelpOptions = true, version = "ponder 0.1.0",
        description = "Train adaptive-compute transformers (MoEUT, SUT, SHARCS, MoD) on Apache Spark.",
        subcommands = {PrepCommand.class, InitCommand.class, TrainCommand.class, EvalCommand.class,
                ExportCommand.class, ScoreCommand.class, BenchCommand.class, SweepCommand.class,
                ReportCommand.class})
public final class PonderCli implements Runnable {
    @Option(names = "--master", description = "Spark master URL (default: local[*], or what spark-submit set)")
    String master;

    @Option(names = "--conf", description = "Spark configuration KEY=VALUE (repeatable), e.g. spark.hadoop.fs.s3a.endpoint=...")
    List<String> conf = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try --help)");
    }

    /** Spark settings given on the command line, in order. */
    Map<String, String> sparkConf() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--conf: expected KEY=VALUE, found '" + kv + "'");
            }
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    public static void main(String[] args) {
        dev.ponder.core.Backend.skipResidentMemoryCheck();   // before anything loads ND4J
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new PonderCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("ponder: " + ex.getMessage());
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable root = ex;
            if (root instanceof IllegalArgumentException || root instanceof dev.ponder.prep.shard.ShardFormatException) {
                err.println("ponder " + cmd.getCommandName() + ": " + oneLine(root.getMessage()));
                return 2;
            }
            err.println("ponder " + cmd.getCommandName() + ": failed: " + root);
            root.printStackTrace(err);
            return 1;
        });
        return cli.execute(args);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ');
    }
}
