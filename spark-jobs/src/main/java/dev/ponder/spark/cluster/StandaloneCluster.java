package dev.ponder.spark.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone master and workers on 127.0.0.1, each its own JVM started from a
 * {@link SparkHome}; executors are further JVMs started by the workers. Ports are chosen by the
 * OS (port 0) and read back from the logs, so clusters of several users never collide. Closing
 * stops every process it started, executors included, and nothing else.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://[^\\s]+)");
    private static final String EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

    private final SparkHome home;
    private final Path logDir;
    private Process master;
    private final List<Process> workers = new ArrayList<>();
    private String masterUrl;

    private StandaloneCluster(SparkHome home, Path logDir) {
        this.home = home;
        this.logDir = logDir;
    }

    /**
     * Starts a master and {@code workers} workers of {@code cores} cores and {@code memory}
     * (e.g. "1g") each; returns once every worker has registered. Logs and executor work
     * directories go under {@code logDir}.
     */
    public static StandaloneCluster start(SparkHome home, int workers, int cores, String memory, Path logDir) {
        return start(home, workers, cores, memory, logDir, List.of());
    }

    /**
     * As above, with JVM options for the workers, e.g. their GPUs:
     * {@code -Dspark.worker.resource.gpu.amount=2 -Dspark.worker.resource.gpu.discoveryScript=...}
     * (what SPARK_WORKER_OPTS carries for Spark's own start scripts).
     */
    public static StandaloneCluster start(SparkHome home, int workers, int cores, String memory, Path logDir,
            List<String> workerJavaOptions) {
        StandaloneCluster c = new StandaloneCluster(home, logDir.toAbsolutePath());
        try {
            Files.createDirectories(c.logDir);
            c.master = c.launch("org.apache.spark.deploy.master.Master", "master.log", List.of(),
                    "--host", "127.0.0.1", "--port", "0", "--webui-port", "0");
            Matcher m = c.awaitLog(c.master, "master.log", MASTER_URL, 60);
            c.masterUrl = m.group(1);
            for (int i = 0; i < workers; i++) {
                Path work = Files.createDirectories(c.logDir.resolve("work-" + i));
                c.workers.add(c.launch("org.apache.spark.deploy.worker.Worker", "worker-" + i + ".log",
                        workerJavaOptions, "--host", "127.0.0.1", "--port", "0", "--webui-port", "0", "--cores", String.valueOf(cores),
                        "--memory", memory, "--work-dir", work.toString(), c.masterUrl));
            }
            for (int i = 0; i < workers; i++) {
                c.awaitLog(c.workers.get(i), "worker-" + i + ".log",
                        Pattern.compile("Successfully registered with master"), 60);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public String masterUrl() {
        return masterUrl;
    }

    public SparkHome home() {
        return home;
    }

    public Path logDir() {
        return logDir;
    }

    /** The environment of every cluster JVM: loopback only, and the Spark they run from. */
    public Map<String, String> environment() {
        return Map.of("SPARK_HOME", home.dir().toString(), "SPARK_LOCAL_IP", "127.0.0.1",
                "JAVA_HOME", System.getProperty("java.home"));
    }

    /**
     * The executor JVMs currently running under this cluster's workers: the workers' own children.
     * Not all their descendants: a process an executor forks (Hadoop's and Spark's shell helpers)
     * carries the executor's command line until it execs, and was once counted as a third executor.
     */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.children().filter(p -> p.info().commandLine().map(c -> c.contains(EXECUTOR_CLASS)).orElse(false))
                    .forEach(out::add);
        }
        return out;
    }

    /**
     * Waits until no executor JVM runs under the workers: an application's executors outlive its
     * driver by a moment, so a caller that counts the next application's executors waits first.
     */
    public void awaitNoExecutors(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!executors().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("executor JVMs still running after " + seconds + " s: "
                        + executors().stream().map(ProcessHandle::pid).toList());
            }
            Thread.sleep(100);
        }
    }

    private Process launch(String mainClass, String logName, List<String> javaOptions, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m"));
        cmd.addAll(javaOptions);
        cmd.addAll(List.of("-cp", home.jars().resolve("*").toString(), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logDir.resolve(logName).toFile());
        pb.environment().putAll(environment());
        pb.environment().remove("SPARK_CONF_DIR"); // the assembled home has no conf/; never a user's
        return pb.start();
    }

    private Matcher awaitLog(Process p, String logName, Pattern pattern, int seconds) throws IOException {
        Path log = logDir.resolve(logName);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher m = pattern.matcher(text);
            if (m.find()) {
                return m;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException(logName + ": the process exited (" + p.exitValue() + "): " + tail(text));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the cluster", e);
            }
        }
        throw new IllegalStateException(logName + ": no '" + pattern + "' within " + seconds + " s: "
                + tail(Files.readString(log, StandardCharsets.UTF_8)));
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }

    /** Workers first (they stop their executors), then the master; forcibly after 15 s. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>(workers);
        Optional.ofNullable(master).ifPresent(all::add);
        List<ProcessHandle> executors = executors();
        for (Process p : all) {
            p.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (Process p : all) {
            try {
                p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
        }
        executors.forEach(ProcessHandle::destroyForcibly); // orphans, if a worker died before its executors
    }

    /**
     * submit/local-standalone: runs a cluster until killed; prints the master URL. Arguments:
     * [workers [cores [memory [log-dir]]]]; SPARK_WORKER_OPTS holds the workers' JVM options.
     */
    public static void main(String[] args) throws Exception {
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int cores = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String memory = args.length > 2 ? args[2] : "2g";
        Path logs = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("ponder-standalone");
        String envHome = System.getenv("SPARK_HOME");
        SparkHome home = envHome != null && !envHome.isEmpty() ? SparkHome.existing(Path.of(envHome))
                : SparkHome.prepare(SparkHome.defaultDir());
        String workerOpts = System.getenv().getOrDefault("SPARK_WORKER_OPTS", "").trim();
        StandaloneCluster c = start(home, workers, cores, memory, logs,
                workerOpts.isEmpty() ? List.of() : List.of(workerOpts.split("\\s+")));
        Runtime.getRuntime().addShutdownHook(new Thread(c::close));
        System.out.println("master " + c.masterUrl());
        System.out.println("spark_home " + home.dir());
        System.out.println("logs " + logs.toAbsolutePath());
        System.out.flush();
        Thread.currentThread().join();
    }
}
