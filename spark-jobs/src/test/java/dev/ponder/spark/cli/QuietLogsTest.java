package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in a fresh JVM, as submit/ponder starts it: Spark's start-up and job INFO lines must
 * not reach the console (log4j2.properties on the classpath sets them to WARN before Spark logs
 * anything; a fresh process is the only way to see the lines printed before setLogLevel).
 */
class QuietLogsTest {
    @Test
    void sparkJobPrintsNoInfoLines(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append("quiet line ").append(i).append('\n');
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PonderCli.class.getName(),
                "--master", "local[1]", "--conf", "spark.ui.enabled=false", "prep", "--input",
                tmp.resolve("c.txt").toString(), "--out", tmp.resolve("data").toString(), "--tokenizer", "byte",
                "--seq-len", "16"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "prep finished");
        String err = Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertTrue(Files.readString(tmp.resolve("out.txt")).contains("tokens"), "prep ran");
        for (String line : err.split("\n")) {
            assertTrue(!line.contains(" INFO ") && !line.contains("log4j profile"), "a log line on the console: "
                    + line + "\n(all of stderr:\n" + err + ")");
        }
    }
}
