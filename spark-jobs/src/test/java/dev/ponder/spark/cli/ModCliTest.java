package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mixture-of-Depths through the CLI: train logs its compute and router statistics, eval its predictor. */
class ModCliTest {
    private static final String MODEL = "model: {family: mod, mod_block: dense, vocab_size: 300, d_model: 16, "
            + "n_layers: 2, n_heads: 2, context_length: 32, mod_capacity: 0.25, mod_predictor_hidden: 8}";

    @Test
    void trainLogsBlocksFlopsAndRouterStatsAndEvalReportsThePredictor(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            text.append("line ").append(i % 37).append(": the quick brown fox jumps over the lazy dog\n");
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        String data = tmp.resolve("data").toString();
        PonderCliTest.Result prep = CliEndToEndTest.ponder("prep", "--input", tmp.resolve("c.txt").toString(), "--out",
                data, "--vocab", "300", "--seq-len", "32", "--val-fraction", "0.1");
        assertEquals(0, prep.code(), prep.err());
        Path config = tmp.resolve("mod.yaml");
        Files.writeString(config, String.join("\n", "data: {path: '" + data + "'}",
                "train: {steps: 2, batch_size: 2, seq_len: 32, workers: 1, local_steps: 1, checkpoint_every: 2, "
                        + "eval_every: 2, eval_batches: 2}",
                MODEL, ""));
        String run = tmp.resolve("run").toString();
        PonderCliTest.Result train = CliEndToEndTest.ponder("train", "--config", config.toString(), "--run-dir", run);
        assertEquals(0, train.code(), train.err());
        List<String> metrics = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
        JsonNode last = null;                                              // the last training record
        for (String line : metrics) {
            JsonNode r = new ObjectMapper().readTree(line);
            last = r.has("loss") ? r : last;
        }
        for (String key : new String[] {"compute/mod_predictor_accuracy", "compute/mod_router_mean",
                "compute/mod_predictor_loss", "compute/mod_selected_fraction"}) {
            assertTrue(last.has(key), key + " in " + last);
        }
        assertEquals(0.25, last.get("compute/mod_selected_fraction").asDouble(), 1e-9, "8 of 32 tokens in training");
        JsonNode blocks = last.get("histograms").get("blocks");
        assertEquals(1 + 0.25, blocks.get("sum").asDouble() / blocks.get("num").asDouble(), 1e-9,
                "one full block and one routed at capacity 1/4");
        assertTrue(last.get("histograms").has("flops"), last.toString());

        JsonNode evalJson = new ObjectMapper().readTree(Files.readString(tmp.resolve("run/eval.json")));
        assertTrue(evalJson.path("val_compute").path("compute").has("mod_predictor_accuracy"), evalJson.toString());
        assertTrue(metrics.stream().anyMatch(l -> l.contains("\"val_compute/mod_selected_fraction\"")),
                "periodic validation logs the predictor's routing");

        PonderCliTest.Result eval = CliEndToEndTest.ponder("eval", "--checkpoint", run, "--data", data);
        assertEquals(0, eval.code(), eval.err());
        JsonNode e = new ObjectMapper().readTree(eval.out());
        double acc = e.get("compute").get("mod_predictor_accuracy").asDouble();
        assertTrue(acc >= 0 && acc <= 1, eval.out());
        assertEquals(e.get("tokens").asLong(), e.get("compute").get("blocks_histogram").get("num").asLong(), eval.out());
    }

    @Test
    void benchCapacityPrintsOneLinePerCapacityAndTheMinimumEfficiency(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("mod.yaml");
        Files.writeString(config, String.join("\n", "train: {batch_size: 2, seq_len: 16}", MODEL, ""));
        PonderCliTest.Result r = PonderCliTest.run("bench", "capacity", "--config", config.toString(), "--capacity",
                "0.25,0.5", "--rounds", "2", "--warmup", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("capacity=0.25 ") && r.out().contains("capacity=0.5 ")
                && r.out().contains("capacity=1.0 "), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("dense ")), "the wrapped control's row: " + r.out());
        String lastLine = r.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(lastLine.matches("min_efficiency=\\d+\\.\\d{3}"), lastLine);
        PonderCliTest.Result strict = PonderCliTest.run("bench", "capacity", "--config", config.toString(), "--capacity",
                "0.5", "--rounds", "1", "--warmup", "0", "--skip-wrapped", "--require", "1000");
        assertEquals(1, strict.code(), "an unmet --require fails: " + strict.out());
        assertTrue(strict.out().lines().noneMatch(l -> l.startsWith("dense ")), strict.out());
        PonderCliTest.Result bad = PonderCliTest.run("bench", "capacity", "--config", config.toString(), "--set",
                "model.family=dense");
        assertEquals(2, bad.code(), bad.out() + bad.err());
    }
}
