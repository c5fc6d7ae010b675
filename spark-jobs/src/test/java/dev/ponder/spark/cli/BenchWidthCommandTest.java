package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchWidthCommandTest {
    private static final String TINY = String.join("\n", "seed: 2", "train: {batch_size: 2, seq_len: 8}",
            "model: {family: sharcs, vocab_size: 32, d_model: 16, n_layers: 2, n_heads: 4, d_ff: 32,",
            "        context_length: 16, sharcs_router_hidden: 8, sharcs_prefix_len: 4}", "");

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PonderCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void reportsEveryWidthAndTheWorstRatio(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("sharcs.yaml");
        Files.writeString(cfg, TINY);
        String[] r = run("bench", "width", "--config", cfg.toString(), "--rounds", "1", "--warmup", "0");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].strip().split("\n");
        assertTrue(lines[0].startsWith("bench width: "), r[1]);
        for (String w : new String[] {"0.25 ", "0.5 ", "1.0 "}) {
            assertTrue(r[1].lines().anyMatch(l -> l.startsWith(w)), w + " row in " + r[1]);
        }
        assertTrue(lines[lines.length - 1].matches("min_train_ratio=\\d+\\.\\d+ min_inference_ratio=\\d+\\.\\d+"),
                lines[lines.length - 1]);
    }

    /** Surefire runs with OMP_NUM_THREADS=2: two one-thread workers, one two-thread worker, not three. */
    @Test
    void workersStepSideBySideOnTheirShareOfTheThreads(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("sharcs.yaml");
        Files.writeString(cfg, TINY.replace("train: {", "train: {workers: 2, "));
        String[] two = run("bench", "width", "--config", cfg.toString(), "--rounds", "1", "--warmup", "0");
        assertEquals("0", two[0], two[2]);
        assertTrue(two[1].contains("2 worker(s) x 1 thread(s)"), two[1]);
        String[] one = run("bench", "width", "--config", cfg.toString(), "--rounds", "1", "--warmup", "0",
                "--workers", "1");
        assertEquals("0", one[0], one[2]);
        assertTrue(one[1].contains("1 worker(s) x 2 thread(s)"), one[1]);
        String[] three = run("bench", "width", "--config", cfg.toString(), "--workers", "3");
        assertEquals("2", three[0]);
        assertTrue(three[2].contains("--workers: expected 1..2 (one thread each at least), found 3"), three[2]);
    }

    @Test
    void refusesOtherFamiliesWithOneLine(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("dense.yaml");
        Files.writeString(cfg, TINY.replace("family: sharcs", "family: dense")
                .replace(", sharcs_router_hidden: 8, sharcs_prefix_len: 4", ""));
        String[] r = run("bench", "width", "--config", cfg.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("expected model.family sharcs, found dense"), r[2]);
        assertEquals(1, r[2].strip().split("\n").length, r[2]);
        assertEquals("0", run("bench", "width", "--help")[0]);
    }
}
