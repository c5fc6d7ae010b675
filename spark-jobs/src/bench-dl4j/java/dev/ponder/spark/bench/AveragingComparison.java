package dev.ponder.spark.bench;

import dev.ponder.spark.cli.SparkSessions;
import dev.ponder.spark.cluster.SparkHome;
import dev.ponder.spark.cluster.StandaloneCluster;
import dev.ponder.spark.config.ConfigLoader;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.config.RunSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * submit/bench-averaging: the averaging overhead per round (round time minus the slowest
 * worker's local steps: broadcast, serialization, task launch, aggregation) of Ponder's loop and
 * of dl4j-spark's ParameterAveragingTrainingMaster, at the same parameter count, averaging
 * frequency, minibatch size and Adam state, on the same loopback standalone cluster (two 1-core
 * executors). Arguments: [--size DxL]... [--rounds N] [--warmup N] [--config FILE] [--conf KEY=VALUE]...;
 * the first --warmup rounds of each run (default 2: executor start, JIT compilation on the same cores)
 * are printed but not counted.
 */
public final class AveragingComparison {
    private AveragingComparison() {}

    /** Median over rounds of a per-round time in ms, in seconds. */
    static double med(List<Dl4jAveraging.Round> rounds, java.util.function.ToDoubleFunction<Dl4jAveraging.Round> ms) {
        return ClusterTraining.median(rounds.stream().mapToDouble(ms).toArray()) / 1e3;
    }

    public static void main(String[] args) throws Exception {
        List<String> sizes = new ArrayList<>();
        List<String> extraConf = new ArrayList<>(); // Spark KEY=VALUE for both sides, e.g. to try a setting
        int rounds = 7;
        int warmup = 2;
        String config = "conf/bench/averaging.yaml";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--size" -> sizes.add(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--config" -> config = args[i + 1];
                case "--conf" -> extraConf.add(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --size DxL, --rounds N, --warmup N, --config FILE, --conf KEY=VALUE)");
            }
        }
        if (warmup < 0 || warmup >= rounds) {
            throw new IllegalArgumentException("--warmup must be >= 0 and below --rounds (" + rounds + "), found " + warmup);
        }
        if (sizes.isEmpty()) {
            sizes.addAll(List.of("128x2", "256x4", "512x4"));
        }
        System.setProperty(Dl4jAveraging.TIME_SOURCE.substring(2, Dl4jAveraging.TIME_SOURCE.indexOf('=')),
                Dl4jAveraging.TIME_SOURCE.substring(Dl4jAveraging.TIME_SOURCE.indexOf('=') + 1));
        ResolvedConfig base = ConfigLoader.resolve(Files.readString(Path.of(config)), config, List.of(),
                RunSchema::forRaw);
        int k = base.getInt("train.local_steps");
        int batch = base.getInt("train.batch_size");
        Path work = Files.createTempDirectory("ponder-bench-averaging");
        try (StandaloneCluster cluster = StandaloneCluster.start(SparkHome.prepare(SparkHome.defaultDir()), 2, 1, "2g",
                work.resolve("cluster"))) {
            String data = ClusterTraining.prepareSyntheticData(work, base.getInt("train.seq_len"));
            Map<String, String> conf = ClusterTraining.executorConf(2, "2g", true);
            // Both sides load their classes the same way: this JVM's classpath (dl4j-spark is not in the fat jar).
            conf.put("spark.executor.extraClassPath", AppClasses.absoluteClassPath());
            conf.put("spark.executor.extraJavaOptions", conf.get("spark.executor.extraJavaOptions") + " "
                    + Dl4jAveraging.TIME_SOURCE);
            for (String kv : extraConf) {
                conf.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            System.out.printf("bench averaging on %s: 2 executors x 1 core, averaging every %d steps of batch %d, "
                    + "Adam, %d rounds (the first %d of each run untimed: warm-up); load average %s%n", cluster.masterUrl(),
                    k, batch, rounds, warmup,
                    Files.readString(Path.of("/proc/loadavg")).trim());
            for (int run = 0; run < sizes.size(); run++) {
                String size = sizes.get(run);
                List<String> sets = new ArrayList<>(ClusterTraining.sizeOverrides(size, base, rounds));
                sets.add("data.path=" + data);
                ResolvedConfig cfg = ConfigLoader.resolve(Files.readString(Path.of(config)), config, sets,
                        RunSchema::forRaw);
                ClusterTraining.Result ours = ClusterTraining.run(cluster.masterUrl(), conf, cfg,
                        work.resolve("ponder-" + run + "-" + size)).withWarmup(warmup); // a fresh run dir: never a resume
                Dl4jAveraging.Result theirs;
                try (JavaSparkContext sc = SparkSessions.open("dl4j-spark baseline " + size, cluster.masterUrl(), conf)) {
                    theirs = Dl4jAveraging.run(sc, ours.parameters(), 2, k, batch, rounds);
                }
                List<Dl4jAveraging.Round> m = theirs.rounds().subList(warmup, theirs.rounds().size());
                double dRound = med(m, Dl4jAveraging.Round::roundMs);
                double dLocal = med(m, Dl4jAveraging.Round::localMs);
                double dOver = med(m, Dl4jAveraging.Round::overheadMs);
                double oOver = ours.median(ClusterTraining.Round::overhead);
                System.out.printf("  %s ponder:     %d params, per round (median of %d) %.3f s, local steps %.3f s, "
                        + "overhead %.3f s (broadcast %.3f, aggregate+launch %.3f)%n", size, ours.parameters(),
                        ours.measured().size(), ours.median(ClusterTraining.Round::seconds),
                        ours.median(ClusterTraining.Round::local), oOver, ours.median(ClusterTraining.Round::broadcast),
                        ours.median(ClusterTraining.Round::aggregate));
                System.out.printf("  %s dl4j-spark: %d params, per round (median of %d) %.3f s, local steps %.3f s, "
                        + "overhead %.3f s (broadcast create %.3f + fetch %.3f, tasks+aggregate %.3f)%n", size,
                        theirs.parameters(), m.size(), dRound, dLocal, dOver, med(m, Dl4jAveraging.Round::broadcastMs),
                        med(m, Dl4jAveraging.Round::fetchMs), med(m, Dl4jAveraging.Round::aggregateMs));
                StringBuilder po = new StringBuilder();
                StringBuilder dl = new StringBuilder();
                for (int i = 0; i < ours.rounds().size(); i++) {
                    ClusterTraining.Round x = ours.rounds().get(i);
                    po.append(String.format(i < warmup ? " (%.2f: b %.2f r %.2f a %.2f)" : " %.2f: b %.2f r %.2f a %.2f",
                            x.overhead(), x.broadcast(), x.replica(), x.aggregate()));
                }
                for (int i = 0; i < theirs.rounds().size(); i++) {
                    double o = theirs.rounds().get(i).overheadMs() / 1e3;
                    dl.append(String.format(i < warmup ? " (%.2f)" : " %.2f", o));
                }
                System.out.printf("  %s overhead per round, s (warm-up in parentheses; b broadcast, r replica, a aggregate+launch): ponder%s; dl4j-spark%s%n",
                        size, po, dl);
                System.out.printf("size=%s params=%d ponder_overhead_s=%.4f dl4j_overhead_s=%.4f ratio=%.3f%n", size,
                        ours.parameters(), oOver, dOver, oOver / dOver);
                System.out.flush();
            }
        } finally {
            try (var paths = Files.walk(work)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
