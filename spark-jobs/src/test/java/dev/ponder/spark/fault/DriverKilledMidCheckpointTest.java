package dev.ponder.spark.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.cli.PonderCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver process dies between writing a checkpoint's files and its COMMIT object. The next
 * `train` on the same run dir resumes from the previous committed step and ends with the same
 * parameters as an uninterrupted run; the committed checkpoints are intact.
 */
class DriverKilledMidCheckpointTest {
    static int ponder(String... args) {
        return PonderCli.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(System.err, true));
    }

    @Test
    void resumedRunMatchesTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            text.append("fault tolerance sentence number ").append(i % 41).append(" ends here.\n");
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        String data = tmp.resolve("data").toString();
        assertEquals(0, ponder("--master", "local[2]", "--conf", "spark.ui.enabled=false", "prep", "--input",
                tmp.resolve("c.txt").toString(), "--out", data, "--tokenizer", "byte", "--seq-len", "16"));
        Path config = tmp.resolve("run.yaml");
        Files.writeString(config, String.join("\n",
                "seed: 3",
                "data: {path: '" + data + "'}",
                "train: {steps: 6, batch_size: 4, seq_len: 16, workers: 2, local_steps: 1, checkpoint_every: 2,",
                "        warmup_steps: 1, keep_checkpoints: 5}",
                "model: {family: dense, vocab_size: 256, d_model: 16, n_layers: 1, n_heads: 2, context_length: 16}",
                ""));
        Path straight = tmp.resolve("straight");
        assertEquals(0, ponder("--master", "local[2]", "--conf", "spark.ui.enabled=false", "train", "--config",
                config.toString(), "--run-dir", straight.toString()));

        Path run = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
                "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), PonderCli.class.getName(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.hadoop.fs.halt.impl=" + HaltingFileSystem.class.getName(),
                "--conf", "spark.hadoop.fs.halt.impl.disable.cache=true",
                "--conf", "spark.hadoop." + HaltingFileSystem.KILL_BEFORE + "=step-000000004/COMMIT",
                "train", "--config", config.toString(), "--run-dir", "halt://" + run));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), out);
        assertTrue(Files.exists(run.resolve("checkpoints/step-000000004/params.f32")), "step 4 was being written");
        assertFalse(Files.exists(run.resolve("checkpoints/step-000000004/COMMIT")));

        Configuration conf = new Configuration();
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(run.toUri()), conf);
        assertEquals(List.of(2L), store.committedSteps(), "only the committed step exists for readers");
        float[] step2 = store.load(2).params();

        assertEquals(0, ponder("--master", "local[2]", "--conf", "spark.ui.enabled=false", "train", "--config",
                config.toString(), "--run-dir", run.toString()));
        CheckpointStore reference = new CheckpointStore(new org.apache.hadoop.fs.Path(straight.toUri()), conf);
        assertArrayEquals(reference.load(6).params(), store.load(6).params(), 1e-6f);
        assertArrayEquals(step2, store.load(2).params(), 0f, "the committed checkpoint was not touched");
    }
}
