package dev.ponder.spark.cli;

import dev.ponder.spark.bench.AlternatingPlacement;
import dev.ponder.spark.bench.ClusterTraining;
import dev.ponder.spark.cluster.SparkHome;
import dev.ponder.spark.cluster.StandaloneCluster;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ponder bench scaling}: the same training (train.workers = 2 tasks per round) on 1 and on
 * 2 one-core executors, per model size; tokens/s ratio and where each round's time goes. Runs on
 * a loopback standalone cluster it starts (two 1-core workers) unless --master names one.
 *
 * <p>By default one application with two executors alternates its rounds between the layouts
 * (both tasks in turn on one executor, then one task on each: {@link AlternatingPlacement}), so
 * both are timed on the same JVMs at the same moments. Measured here, one thread's 16 steps of the
 * 128x2 model took 0.70 s in one minute and 0.94 s in another with nothing else running: two
 * applications one after the other (--separate-apps, how builds before this one measured) timed
 * that drift as much as the layouts (128x2 ratios 1.86 and 1.42 in two runs ten minutes apart).
 */
@Command(name = "scaling", mixinStandardHelpOptions = true,
        description = "Tokens/s with 1 vs 2 executors (1 core each) per model size, and per-round broadcast and "
                + "aggregation seconds; one line per size: size=DxL params=N tps_1=X tps_2=Y ratio=R ...")
final class BenchScaling implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "base run configuration (conf/bench/scaling.yaml)")
    String config;

    @Option(names = "--size", description = "model size DxL: d_model x n_layers, d_ff = 4 d_model (repeatable; "
            + "default 128x2, 256x4, 512x4)")
    List<String> sizes = new ArrayList<>(List.of("128x2", "256x4", "512x4"));

    @Option(names = "--rounds", defaultValue = "6", description = "averaging rounds per run, including the warm-up "
            + "rounds; default ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "first rounds of each run left out of tokens/s and "
            + "the medians (executor start, JIT compilation on the training's cores); default ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--block", defaultValue = "3", description = "consecutive rounds of one layout in the "
            + "alternating run (a gang of long-lived tasks runs them; the first of each block starts it); "
            + "default ${DEFAULT-VALUE}")
    int block;

    @Option(names = "--separate-apps", description = "run the 1-executor and the 2-executor training as two "
            + "applications one after the other (each with its own executors) instead of one 2-executor application "
            + "whose rounds alternate between the layouts")
    boolean separateApps;

    @Option(names = "--executor-memory", defaultValue = "2g", description = "per executor; default ${DEFAULT-VALUE}")
    String executorMemory;

    @Option(names = "--spark-home", description = "Spark installation for the loopback cluster (default: "
            + "$SPARK_HOME, else the one the build assembled in spark-jobs/target/spark-home)")
    Path sparkHome;

    @Option(names = "--set", description = "override KEY=VALUE of the base configuration (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("ponder-bench-scaling");
        StandaloneCluster cluster = null;
        if (block < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--block must be >= 1, found " + block);
        }
        if (warmup < 0 || warmup >= rounds) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--warmup must be >= 0 and below --rounds ("
                    + rounds + "), found " + warmup);
        }
        try {
            ResolvedConfig base = RunConfigs.load(config, overrides, LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
            sizes.forEach(size -> ClusterTraining.sizeOverrides(size, base, rounds)); // bad sizes fail before the cluster starts
            String master = bench.parent.master;
            if (master == null || !master.startsWith("spark://")) {
                cluster = StandaloneCluster.start(sparkHome(), 2, 1, executorMemory, work.resolve("cluster"));
                master = cluster.masterUrl();
            }
            String data = ClusterTraining.prepareSyntheticData(work, base.getInt("train.seq_len"));
            out.printf("bench scaling on %s: train.workers=2, local_steps=%d, batch %d x %d tokens, %d rounds per "
                    + "layout (the first %d untimed: warm-up; tokens/s over the other rounds and the driver's work "
                    + "before each), %s, train.persistent_tasks=%s; load average %s%n", master,
                    base.getInt("train.local_steps"), base.getInt("train.batch_size"), base.getInt("train.seq_len"),
                    rounds, warmup, separateApps ? "1 and 2 executors as two applications in turn"
                    : "one 2-executor application alternating blocks of " + block + " rounds on 1 executor and on 2",
                    base.getBool("train.persistent_tasks"), loadAverage());
            for (int run = 0; run < sizes.size(); run++) {
                String size = sizes.get(run);
                Path dir = work.resolve(run + "-" + size); // fresh run dirs: never a resume
                ClusterTraining.Result one;
                ClusterTraining.Result two;
                if (separateApps) {
                    ResolvedConfig cfg = sizedConfig(base, size, rounds, data);
                    one = ClusterTraining.run(master, sparkConf(1, cluster != null), cfg, dir.resolve("1exec"))
                            .withWarmup(warmup);
                    two = ClusterTraining.run(master, sparkConf(2, cluster != null), cfg, dir.resolve("2exec"))
                            .withWarmup(warmup);
                } else {
                    Map<String, String> conf = sparkConf(2, cluster != null);
                    AlternatingPlacement.SPARK_CONF.forEach(conf::putIfAbsent); // the user's --conf wins
                    ClusterTraining.Result both = ClusterTraining.run(master, conf, sizedConfig(base, size, 2 * rounds,
                            data), dir.resolve("alternating"), sc -> AlternatingPlacement.of(sc, 2, 120, block));
                    checkAlternates(both, size, block);
                    one = both.onExecutors(1, warmup);
                    two = both.onExecutors(2, warmup);
                }
                out.printf("  %s 1 executor, every round (s: round/local steps broadcast replica aggregate driver): %s%n", size,
                        perRound(one));
                out.printf("  %s 2 executors, every round (s: round/local steps broadcast replica aggregate driver): %s%n",
                        size, perRound(two));
                // Round times are medians over the measured rounds; tokens/s is over all of them, each
                // with the driver's work before it (averaging the previous results, logging).
                out.printf("  %s 1 executor: %.0f tokens/s, round %.3f s (both tasks in turn) + driver %.3f s; slower "
                        + "task's local steps %.3f s, its thread's CPU %.3f s%n", size,
                        one.tokensPerSecond(), one.median(ClusterTraining.Round::seconds),
                        one.median(ClusterTraining.Round::driver), one.median(ClusterTraining.Round::local),
                        one.median(ClusterTraining.Round::localCpu));
                out.printf("  %s 2 executors: %.0f tokens/s, round %.3f s = local steps %.3f (slower task's thread "
                        + "CPU %.3f) + broadcast %.3f + aggregate %.3f (+ launch); overhead %.3f s; + driver %.3f s%n",
                        size, two.tokensPerSecond(), two.median(ClusterTraining.Round::seconds),
                        two.median(ClusterTraining.Round::local), two.median(ClusterTraining.Round::localCpu),
                        two.median(ClusterTraining.Round::broadcast), two.median(ClusterTraining.Round::aggregate),
                        two.median(ClusterTraining.Round::overhead), two.median(ClusterTraining.Round::driver));
                out.printf("size=%s params=%d tps_1=%.1f tps_2=%.1f ratio=%.3f best_round_ratio=%.3f broadcast_s_2=%.4f "
                        + "aggregate_s_2=%.4f overhead_s_2=%.4f round_s_2=%.4f driver_s_2=%.4f load=%s%n", size,
                        two.parameters(),
                        one.tokensPerSecond(), two.tokensPerSecond(), two.tokensPerSecond() / one.tokensPerSecond(),
                        two.bestRoundTokensPerSecond() / one.bestRoundTokensPerSecond(),
                        two.median(ClusterTraining.Round::broadcast), two.median(ClusterTraining.Round::aggregate),
                        two.median(ClusterTraining.Round::overhead), two.median(ClusterTraining.Round::seconds),
                        two.median(ClusterTraining.Round::driver), loadAverage().split(" ")[0]);
                out.flush();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            deleteTree(work);
        }
        return 0;
    }

    private ResolvedConfig sizedConfig(ResolvedConfig base, String size, int rounds, String data) {
        List<String> sets = new ArrayList<>(overrides);
        sets.addAll(ClusterTraining.sizeOverrides(size, base, rounds));
        sets.add("data.path=" + data);
        return RunConfigs.load(config, sets, LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
    }

    /**
     * Each round of an alternating run ran on as many executors as it was placed on; otherwise a
     * task left its executor (an executor lost, a locality wait shorter than the round) and the
     * layouts' times would be mixed.
     */
    static void checkAlternates(ClusterTraining.Result r, String size, int block) {
        for (int i = 0; i < r.rounds().size(); i++) {
            int expected = AlternatingPlacement.oneExecutorRound(i, block) ? 1 : 2;
            int found = r.rounds().get(i).executors();
            if (found != expected) {
                throw new IllegalStateException("bench scaling " + size + ": round " + i + " was placed on " + expected
                        + " executor(s) but ran on " + found + "; the layouts' timings would be mixed");
            }
        }
    }

    /**
     * Every round of a run in order (the warm-up ones in parentheses): round / local steps,
     * broadcast, replica, aggregate seconds, and the driver's work before the round.
     */
    static String perRound(ClusterTraining.Result r) {
        StringBuilder b = new StringBuilder();
        int untimed = r.rounds().size() - r.measured().size();
        for (int i = 0; i < r.rounds().size(); i++) {
            ClusterTraining.Round x = r.rounds().get(i);
            b.append(i == 0 ? "" : " ").append(i < untimed ? "(" : "").append(String.format("%.2f/%.2f %.2f %.2f %.2f %.3f",
                    x.seconds(), x.local(), x.broadcast(), x.replica(), x.aggregate(), x.driver()))
                    .append(i < untimed ? ")" : "");
        }
        return b.toString();
    }

    /** 1, 5 and 15 minute load averages: other processes on the same cores distort a scaling ratio. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private SparkHome sparkHome() {
        if (sparkHome != null) {
            return SparkHome.existing(sparkHome);
        }
        String env = System.getenv("SPARK_HOME");
        return env != null && !env.isEmpty() ? SparkHome.existing(Path.of(env)) : SparkHome.prepare(SparkHome.defaultDir());
    }

    /** One application with {@code executors} one-core executors. */
    private Map<String, String> sparkConf(int executors, boolean loopback) {
        Map<String, String> c = ClusterTraining.executorConf(executors, executorMemory, loopback);
        dev.ponder.spark.bench.AppClasses.addTo(c);
        c.putAll(bench.parent.sparkConf());
        return c;
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
