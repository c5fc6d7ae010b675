package dev.ponder.spark.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import dev.ponder.spark.cli.SparkSessions;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.report.RunData;
import dev.ponder.spark.train.MetricsLog;
import dev.ponder.spark.train.TaskPlacement;
import dev.ponder.spark.train.TrainDriver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.apache.spark.api.java.JavaSparkContext;

/** One `ponder train` run as its own Spark application, with its per-round timings read back. */
public final class ClusterTraining {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterTraining() {}

    /**
     * One averaging round, as TrainDriver logged it (seconds): {@code seconds} is the round's job
     * (broadcast to results), {@code driver} the driver's work before it (averaging the previous
     * round's results, logging; 0 for a run's first round); {@code executors} how many executors
     * ran its tasks.
     */
    public record Round(long startStep, double seconds, double broadcast, double local, double aggregate,
            double overhead, double replica, double driver, double localCpu, int executors) {
        /** Wall time the round took the run: its job and the driver's work before it. */
        public double wall() {
            return seconds + driver;
        }
    }

    /**
     * A run: its parameter count, tokens per round, rounds in order, and how many of the first
     * rounds are warm-up (not measured: executor start, native-library loading, and the JIT
     * compiling the kernels and Spark's paths on the same cores as the training).
     */
    public record Result(long parameters, long tokensPerRound, List<Round> rounds, int warmup) {
        /** The rounds after the warm-up ones (all of them if the run has no more rounds than that). */
        public List<Round> measured() {
            return rounds.size() > warmup ? rounds.subList(warmup, rounds.size()) : rounds;
        }

        /** The same run with {@code n} warm-up rounds. */
        public Result withWarmup(int n) {
            return new Result(parameters, tokensPerRound, rounds, n);
        }

        /** Over the measured rounds' wall time, the driver's work between rounds included. */
        public double tokensPerSecond() {
            return tokensPerRound * measured().size() / sum(Round::wall);
        }

        public double mean(ToDoubleFunction<Round> f) {
            return sum(f) / measured().size();
        }

        /**
         * Tokens/s of the fastest measured round: on shared cores, the round least slowed by other
         * work, so the closest to what the configuration itself can do.
         */
        public double bestRoundTokensPerSecond() {
            return tokensPerRound / measured().stream().mapToDouble(Round::wall).min().orElse(Double.NaN);
        }

        /**
         * The rounds that ran on {@code n} executors, in order, with {@code warmupEach} of them as
         * warm-up: one layout of a run whose rounds alternate (see {@link AlternatingPlacement}).
         */
        public Result onExecutors(int n, int warmupEach) {
            return new Result(parameters, tokensPerRound, rounds.stream().filter(r -> r.executors() == n).toList(),
                    warmupEach);
        }

        /** Median over the measured rounds: on a shared machine a burst of other work hits a few rounds. */
        public double median(ToDoubleFunction<Round> f) {
            return ClusterTraining.median(measured().stream().mapToDouble(f).toArray());
        }

        private double sum(ToDoubleFunction<Round> f) {
            return measured().stream().mapToDouble(f).sum();
        }
    }

    public static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * Trains {@code cfg} (train.log_every is forced to 1, so every round is logged) in a new Spark
     * application on {@code master} with {@code sparkConf}, into {@code runDir}.
     */
    public static Result run(String master, Map<String, String> sparkConf, ResolvedConfig cfg, Path runDir) {
        return run(master, sparkConf, cfg, runDir, sc -> null);
    }

    /**
     * The same, with each round's tasks placed where {@code placement} (given the application's
     * context; null: Spark chooses) says.
     */
    public static Result run(String master, Map<String, String> sparkConf, ResolvedConfig cfg, Path runDir,
            Function<JavaSparkContext, TaskPlacement> placement) {
        try (JavaSparkContext sc = SparkSessions.open("ponder bench " + runDir.getFileName(), master, sparkConf)) {
            new TrainDriver(sc, cfg, runDir.toString(), new PrintWriter(new StringWriter())).placing(placement.apply(sc))
                    .run();
        }
        return read(runDir, (long) cfg.getInt("train.workers") * cfg.getInt("train.local_steps")
                * cfg.getInt("train.batch_size") * cfg.getInt("train.seq_len"));
    }

    static Result read(Path runDir, long tokensPerRound) {
        try {
            Map<Long, Round> rounds = new LinkedHashMap<>();
            for (String line : Files.readAllLines(runDir.resolve(MetricsLog.FILE))) {
                JsonNode r = JSON.readTree(line);
                if (r.has("round_seconds")) {
                    long start = r.get("round_start_step").asLong();
                    rounds.putIfAbsent(start, new Round(start, r.get("round_seconds").asDouble(),
                            r.get("broadcast_seconds").asDouble(), r.get("local_seconds").asDouble(),
                            r.get("aggregate_seconds").asDouble(), r.get("overhead_seconds").asDouble(),
                            r.path("replica_seconds").asDouble(0), r.path("driver_seconds").asDouble(0),
                            r.path("local_cpu_seconds").asDouble(Double.NaN), r.path("round_executors").asInt(0)));
                }
            }
            long params = JSON.readTree(runDir.resolve(RunData.EVAL_FILE).toFile()).get("parameters").asLong();
            return new Result(params, tokensPerRound, new ArrayList<>(rounds.values()), 1);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the metrics of " + runDir, e);
        }
    }

    /**
     * Overrides for a model size "DxL": d_model D, n_layers L, d_ff = 4 D, d_head = D / n_heads,
     * and a run of {@code rounds} rounds of train.local_steps on 2 workers, every step logged.
     */
    public static List<String> sizeOverrides(String size, ResolvedConfig base, int rounds) {
        String[] dl = size.toLowerCase(java.util.Locale.ROOT).split("x");
        if (dl.length != 2 || !dl[0].matches("\\d+") || !dl[1].matches("\\d+")) {
            throw new IllegalArgumentException("--size: expected DxL such as 256x4, found '" + size + "'");
        }
        int d = Integer.parseInt(dl[0]);
        return List.of("model.d_model=" + d, "model.n_layers=" + dl[1], "model.d_ff=" + 4 * d,
                "model.d_head=" + d / base.getInt("model.n_heads"), "train.workers=2", "train.log_every=1",
                "train.checkpoint_every=0", "train.steps=" + rounds * base.getInt("train.local_steps"));
    }

    /**
     * Spark settings of one benchmark application: {@code executors} one-core executors (one ND4J
     * thread each), all registered before the first round so no round runs on fewer.
     */
    public static Map<String, String> executorConf(int executors, String memory, boolean loopback) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("spark.cores.max", String.valueOf(executors));
        c.put("spark.executor.cores", "1");
        c.put("spark.task.cpus", "1");
        c.put("spark.executor.memory", memory);
        c.put("spark.executorEnv.OMP_NUM_THREADS", "1");
        c.put("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        // JVM ergonomics (GC and JIT threads) sized to the executor's one core, not the machine's.
        c.put("spark.executor.extraJavaOptions", "-XX:ActiveProcessorCount=1");
        c.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        c.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
        c.put("spark.ui.enabled", "false");
        if (loopback) {
            c.put("spark.driver.host", "127.0.0.1");
            c.put("spark.driver.bindAddress", "127.0.0.1");
        }
        return c;
    }

    /**
     * A byte-tokenized synthetic corpus (throughput does not depend on the text) prepared with
     * local Spark into {@code dir}/data; returns its path.
     */
    public static String prepareSyntheticData(Path dir, int seqLen) {
        try {
            Files.createDirectories(dir);
            SplittableRandom rnd = new SplittableRandom(1);
            String[] words = {"the", "council", "votes", "on", "a", "report", "about", "fresh", "bread", "and", "law"};
            StringBuilder text = new StringBuilder();
            for (int line = 0; line < 4000; line++) {
                for (int w = 0; w < 12; w++) {
                    text.append(words[rnd.nextInt(words.length)]).append(w == 11 ? ".\n" : " ");
                }
            }
            Path corpus = dir.resolve("corpus.txt");
            Files.writeString(corpus, text);
            String out = dir.resolve("data").toString();
            try (JavaSparkContext sc = SparkSessions.open("ponder bench data", "local[1]", Map.of("spark.ui.enabled",
                    "false"))) {
                PrepareCorpus.run(sc, new PrepOptions(List.of(corpus.toString()), out, "byte", 256, seqLen, 0.02, 0, 1,
                        PrepOptions.DEFAULT_ROWS_PER_SHARD, true), s -> { });
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
