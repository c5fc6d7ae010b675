package dev.ponder.spark.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** `submit/ponder-submit ...` as a child process against a {@link StandaloneCluster}, its output collected live. */
final class PonderSubmitProcess {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private PonderSubmitProcess(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "ponder-submit-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The repository root (failsafe runs in spark-jobs/). */
    static Path repoRoot() {
        return Path.of("").toAbsolutePath().getParent();
    }

    static PonderSubmitProcess start(StandaloneCluster cluster, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(repoRoot().resolve("submit/ponder-submit").toString(),
                "--master", cluster.masterUrl(), "--conf", "spark.ui.enabled=false"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(cluster.environment());
        pb.environment().remove("OMP_NUM_THREADS"); // executors must get theirs from ponder-submit, not from us
        return new PonderSubmitProcess(pb.start());
    }

    List<String> lines() {
        return lines;
    }

    String output() {
        return String.join("\n", lines);
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Waits for the exit code; kills the driver (and its children) on timeout. */
    int await(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("ponder-submit did not finish within " + seconds + " s:\n" + output());
        }
        reader.join(10_000);
        return process.exitValue();
    }
}
