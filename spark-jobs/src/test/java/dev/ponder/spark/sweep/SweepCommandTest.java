package dev.ponder.spark.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.spark.cli.PonderCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ponder sweep` end to end: two tiny runs as concurrent Spark jobs, the report, then a resumed sweep. */
class SweepCommandTest {
    record Result(int code, String out, String err) {}

    static Result ponder(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--master";
        all[1] = "local[2]";
        all[2] = "--conf";
        all[3] = "spark.ui.enabled=false";
        System.arraycopy(args, 0, all, 4, args.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PonderCli.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void sweepTrainsEachRunOnceAndReports(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            text.append("run ").append(i % 13).append(" sees the lazy dog and the quick fox\n");
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        String data = tmp.resolve("data").toString();
        Result prep = ponder("prep", "--input", tmp.resolve("c.txt").toString(), "--out", data, "--tokenizer", "byte",
                "--seq-len", "16", "--val-fraction", "0.1");
        assertEquals(0, prep.code(), prep.err());
        Files.writeString(tmp.resolve("base.yaml"), String.join("\n",
                "data: {path: '" + data + "'}",
                "train: {steps: 2, batch_size: 2, seq_len: 16, checkpoint_every: 0, eval_batches: 1}",
                "model: {family: dense, vocab_size: 256, d_model: 16, n_layers: 1, n_heads: 2, context_length: 16}", ""));
        Path runs = tmp.resolve("runs");
        Path sweep = tmp.resolve("sweep.yaml");
        Files.writeString(sweep, String.join("\n",
                "base: " + tmp.resolve("base.yaml"),
                "runs_dir: " + runs,
                "grid: {train.lr: [1.0e-3, 3.0e-3]}",
                "concurrent: 2", ""));

        Result first = ponder("sweep", "--config", sweep.toString());
        assertEquals(0, first.code(), first.out() + first.err());
        for (String run : new String[] {"lr=0.001", "lr=0.003"}) {
            assertTrue(Files.exists(runs.resolve(run).resolve("checkpoints/step-000000002/COMMIT")), run);
            assertTrue(Files.exists(runs.resolve(run).resolve("eval.json")), run);
            assertTrue(first.out().contains("[" + run + "] done: step 2"), first.out());
        }
        String report = Files.readString(runs.resolve("report.html"));
        assertTrue(report.contains("lr=0.001") && report.contains("lr=0.003"), "both runs in the report");
        assertEquals(0.001, lr(runs.resolve("lr=0.001")), 1e-12);

        // Resume: one run is gone (never ran); the finished one is skipped, only the missing one trains.
        try (Stream<Path> s = Files.walk(runs.resolve("lr=0.003"))) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        long untouched = Files.getLastModifiedTime(runs.resolve("lr=0.001/eval.json")).toMillis();
        Result second = ponder("sweep", "--config", sweep.toString());
        assertEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.out().contains("finished  lr=0.001") && second.out().contains("to train  lr=0.003"),
                second.out());
        assertTrue(!second.out().contains("[lr=0.001]"), "the finished run is not trained again:\n" + second.out());
        assertEquals(untouched, Files.getLastModifiedTime(runs.resolve("lr=0.001/eval.json")).toMillis());
        assertTrue(Files.exists(runs.resolve("lr=0.003/eval.json")));

        // Everything finished: only the report is rewritten (no Spark application at all).
        Result third = ponder("sweep", "--config", sweep.toString());
        assertEquals(0, third.code(), third.err());
        assertTrue(third.out().contains("sweep: report"), third.out());
        assertTrue(!third.out().contains("to train"), third.out());
    }

    static double lr(Path run) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.resolve("config.json").toFile())
                .get("train").get("lr").asDouble();
    }
}
