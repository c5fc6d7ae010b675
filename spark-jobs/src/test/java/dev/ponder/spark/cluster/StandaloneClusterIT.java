package dev.ponder.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.spark.bench.AlternatingPlacement;
import dev.ponder.spark.bench.AppClasses;
import dev.ponder.spark.bench.ClusterTraining;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.cli.PonderCli;
import dev.ponder.spark.config.ConfigLoader;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.config.RunSchema;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Training on a real Spark standalone cluster on 127.0.0.1: a master and two 1-core workers in
 * their own JVMs (from the Maven-built SPARK_HOME), the job submitted with submit/ponder-submit
 * (the fat jar), executors in separate JVMs. Results are compared with the same configuration
 * trained in-process on local[2]: the cluster computes the same parameters, also when an executor
 * JVM is killed in the middle of a round and Spark reruns its task.
 */
class StandaloneClusterIT {
    static final int STEPS = 8;
    static StandaloneCluster cluster;
    static Path work;
    static Path config;
    static float[] reference;

    @BeforeAll
    static void startClusterAndTrainTheReference() throws Exception {
        work = Path.of("target/it-cluster").toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        cluster = StandaloneCluster.start(SparkHome.prepare(SparkHome.defaultDir()), 2, 1, "1g", work.resolve("cluster"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            text.append("the cluster trains sentence ").append(i % 53).append(" on two executors.\n");
        }
        Files.writeString(work.resolve("corpus.txt"), text);
        String data = work.resolve("data").toString();
        assertEquals(0, ponderInProcess("prep", "--input", work.resolve("corpus.txt").toString(), "--out", data,
                "--tokenizer", "byte", "--seq-len", "32", "--val-fraction", "0.05"));
        // Rounds of several seconds on one core: long enough to kill an executor inside one.
        config = work.resolve("run.yaml");
        Files.writeString(config, String.join("\n",
                "seed: 7",
                "data: {path: '" + data + "'}",
                "train: {steps: " + STEPS + ", batch_size: 16, seq_len: 32, workers: 2, local_steps: " + STEPS / 2 + ",",
                "        checkpoint_every: " + STEPS / 2 + ", warmup_steps: 1, keep_checkpoints: 5, eval_batches: 1}",
                "model: {family: dense, vocab_size: 256, d_model: 64, n_layers: 2, n_heads: 2, d_ff: 256,",
                "        context_length: 32}",
                ""));
        Path ref = work.resolve("reference");
        assertEquals(0, ponderInProcess("train", "--config", config.toString(), "--run-dir", ref.toString()));
        reference = finalParams(ref);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The previous test's executors may still be exiting; each test counts and kills only its own. */
    @BeforeEach
    void previousApplicationsExecutorsHaveExited() throws InterruptedException {
        cluster.awaitNoExecutors(60);
    }

    static int ponderInProcess(String... args) {
        String[] all = Stream.concat(Stream.of("--master", "local[2]", "--conf", "spark.ui.enabled=false"),
                Stream.of(args)).toArray(String[]::new);
        return PonderCli.execute(all, new PrintWriter(new StringWriter(), true), new PrintWriter(System.err, true));
    }

    static float[] finalParams(Path runDir) {
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(runDir.toUri()), new Configuration());
        return store.load(STEPS).params();
    }

    @Test
    void trainingThroughPonderSubmitRunsOnTwoExecutorJvmsAndMatchesLocalTraining() throws Exception {
        Path run = work.resolve("cluster-run");
        int gangPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            gangPort = probe.getLocalPort();                       // free a moment ago; the gang takes the next if not
        }
        // The long-lived tasks reach the driver on a fixed port, as behind a firewall.
        PonderSubmitProcess driver = PonderSubmitProcess.start(cluster, "--conf",
                dev.ponder.spark.train.WorkerGang.PORT_KEY + "=" + gangPort, "train", "--config", config.toString(),
                "--run-dir", run.toString());
        Map<Long, String> seen = new HashMap<>(); // executor pid -> its OMP_NUM_THREADS / OMP_WAIT_POLICY
        Map<Long, String> commands = new HashMap<>(); // executor pid -> its command line
        boolean gangListened = false;
        while (driver.handle().isAlive()) {
            gangListened |= listening(gangPort);
            for (ProcessHandle e : cluster.executors()) {
                seen.computeIfAbsent(e.pid(), pid -> {
                    Map<String, String> env = environment(pid);
                    return env.getOrDefault("OMP_NUM_THREADS", "unset") + "/" + env.getOrDefault("OMP_WAIT_POLICY", "unset");
                });
                commands.computeIfAbsent(e.pid(), pid -> e.info().commandLine().orElse(""));
            }
            Thread.sleep(200);
        }
        assertEquals(0, driver.await(30), driver.output());
        assertTrue(driver.output().contains("step " + STEPS + "/" + STEPS), driver.output());
        assertTrue(gangListened, "the driver listened for its gang on " + dev.ponder.spark.train.WorkerGang.PORT_KEY + "=" + gangPort);
        assertEquals(2, seen.size(), "two executor JVMs (one per worker): " + seen);
        assertFalse(seen.containsKey(driver.handle().pid()) || seen.containsKey(ProcessHandle.current().pid()),
                "executors are neither the driver nor the test JVM");
        seen.forEach((pid, omp) -> assertEquals("1/PASSIVE", omp, "OMP_NUM_THREADS/OMP_WAIT_POLICY of executor " + pid));
        // One-core executors would get the serial collector (see SparkSessions.useG1OnExecutors).
        commands.forEach((pid, cmd) -> assertTrue(cmd.contains("-XX:+UseG1GC"), "executor " + pid + ": " + cmd));
        // Their heap on transparent huge pages (see SparkSessions.heapOnHugePagesOnExecutors).
        commands.forEach((pid, cmd) -> assertTrue(cmd.contains("-XX:+UseTransparentHugePages"),
                "executor " + pid + ": " + cmd));
        // No JavaCPP resident-size check per native pointer (see Backend.skipResidentMemoryCheck).
        commands.forEach((pid, cmd) -> assertTrue(cmd.contains(dev.ponder.core.Backend.NO_RSS_CHECK_OPTION),
                "executor " + pid + ": " + cmd));
        assertArrayEquals(reference, finalParams(run), 1e-6f, "cluster vs local[2] training");
        // Each logged step carries where its round's time went.
        JsonNode last = new ObjectMapper().readTree(Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("round_seconds")).reduce((a, b) -> b).orElseThrow());
        double round = last.get("round_seconds").asDouble();
        double local = last.get("local_seconds").asDouble();
        assertTrue(local > 0 && local < round && last.get("broadcast_seconds").asDouble() > 0
                && last.get("aggregate_seconds").asDouble() > 0, last.toString());
        assertEquals(round - local, last.get("overhead_seconds").asDouble(), 1e-9, last.toString());
        // The slowest task thread's CPU time in its local steps: positive, and not above their wall time.
        double cpu = last.get("local_cpu_seconds").asDouble();
        assertTrue(cpu > 0 && cpu <= local * 1.01 + 0.01, last.toString());
    }

    /**
     * Rounds pinned by AlternatingPlacement (how bench scaling times 1 and 2 executors in one
     * application) run where they are placed: the first with both tasks on one executor, the next
     * with one task on each; and placement does not change results.
     */
    @Test
    void roundsPinnedToExecutorsRunThereAndGiveTheSameParameters() throws Exception {
        Path run = work.resolve("pinned-run");
        Map<String, String> conf = ClusterTraining.executorConf(2, "1g", true);
        AppClasses.addTo(conf);
        conf.putAll(AlternatingPlacement.SPARK_CONF);
        ResolvedConfig cfg = ConfigLoader.resolve(Files.readString(config), config.toString(), List.of(),
                RunSchema::forRaw);
        ClusterTraining.Result r = ClusterTraining.run(cluster.masterUrl(), conf, cfg, run,
                sc -> AlternatingPlacement.of(sc, 2, 60, 1));
        assertEquals(List.of(1, 2), r.rounds().stream().map(ClusterTraining.Round::executors).toList());
        assertArrayEquals(reference, finalParams(run), 1e-6f, "pinned rounds vs local[2] training");
    }

    /**
     * Rounds as their own Spark jobs (train.persistent_tasks=false): results larger than
     * spark.network.maxRemoteBlockSizeFetchToMem reach the driver through a local file (the path a
     * 3.3M-parameter result takes under SparkSessions' 16 MB limit; this model's results, about
     * 1.5 MB, take it with a lower limit) and the broadcast reaches the executors the same way: the
     * run computes the same parameters as local[2] on long-lived tasks.
     */
    @Test
    void resultsStreamedToTheDriverThroughFilesGiveTheSameParameters() throws Exception {
        Path run = work.resolve("streamed-run");
        PonderSubmitProcess driver = PonderSubmitProcess.start(cluster, "--conf",
                "spark.network.maxRemoteBlockSizeFetchToMem=256k", "train", "--config", config.toString(),
                "--set", "train.persistent_tasks=false", "--run-dir", run.toString());
        assertEquals(0, driver.await(300), driver.output());
        assertArrayEquals(reference, finalParams(run), 1e-6f, "results fetched through files vs local[2] training");
    }

    @Test
    void executorKilledMidRoundIsRerunAndTheRunEndsWithTheSameParameters() throws Exception {
        Path run = work.resolve("killed-run");
        PonderSubmitProcess driver = PonderSubmitProcess.start(cluster, "train", "--config", config.toString(),
                "--run-dir", run.toString());
        // After the first round's progress line the next tasks are round 2's (eval only runs at the end).
        Optional<ProcessHandle> victim = Optional.empty();
        while (driver.handle().isAlive() && victim.isEmpty()) {
            if (driver.lines().stream().anyMatch(l -> l.startsWith("step " + STEPS / 2 + "/"))) {
                victim = cluster.executors().stream().filter(StandaloneClusterIT::isRunningATask).findFirst();
            }
            Thread.sleep(50);
        }
        assertTrue(victim.isPresent(), "no executor was caught running a round-2 task:\n" + driver.output());
        assertTrue(victim.get().destroyForcibly(), "SIGKILL sent");
        assertEquals(0, driver.await(300), driver.output());
        assertTrue(driver.output().contains("Lost task"), "Spark reports the lost task and reruns it:\n"
                + driver.output());
        assertArrayEquals(reference, finalParams(run), 1e-6f, "killed-and-rerun vs uninterrupted training");
    }

    private static final Pattern RUNNING = Pattern.compile("Running task .* \\(TID (\\d+)\\)");
    private static final Pattern FINISHED = Pattern.compile("Finished task .* \\(TID (\\d+)\\)");

    /** True when the executor's own log shows a task it started and has not finished. */
    static boolean isRunningATask(ProcessHandle executor) {
        String cmd = executor.info().commandLine().orElse("");
        Matcher app = Pattern.compile("--app-id (\\S+)").matcher(cmd);
        Matcher id = Pattern.compile("--executor-id (\\S+)").matcher(cmd);
        if (!app.find() || !id.find()) {
            return false;
        }
        try (Stream<Path> workDirs = Files.list(cluster.logDir())) {
            for (Path w : workDirs.filter(p -> p.getFileName().toString().startsWith("work-")).toList()) {
                Path stderr = w.resolve(app.group(1)).resolve(id.group(1)).resolve("stderr");
                if (Files.exists(stderr)) {
                    String log = Files.readString(stderr, StandardCharsets.UTF_8);
                    Set<String> open = new HashSet<>();
                    RUNNING.matcher(log).results().forEach(m -> open.add(m.group(1)));
                    FINISHED.matcher(log).results().forEach(m -> open.remove(m.group(1)));
                    return !open.isEmpty();
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Whether a TCP socket listens on {@code port} (Linux /proc/net/tcp and tcp6, where the JVM's
     * dual-stack sockets appear: local address, state 0A).
     */
    static boolean listening(int port) {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                if (Files.readAllLines(Path.of(table)).stream().map(String::trim).map(l -> l.split("\\s+"))
                        .anyMatch(f -> f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("0A"))) {
                    return true;
                }
            } catch (IOException e) {
                // no such table (IPv6 off): the other one answers
            }
        }
        return false;
    }

    /** A process's environment (Linux /proc; our own user's processes only). */
    static Map<String, String> environment(long pid) {
        Map<String, String> env = new HashMap<>();
        try {
            for (String kv : new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ")),
                    StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            env.put("OMP_NUM_THREADS", "unreadable: " + e);
        }
        return env;
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
