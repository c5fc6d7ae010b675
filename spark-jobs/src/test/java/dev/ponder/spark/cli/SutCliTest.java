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

/**
 * SUT through the CLI: training logs its auxiliary losses, depth and FLOPs histograms and expert
 * load per step index; eval reports depth and FLOPs per token and lowers tau with --set.
 */
class SutCliTest {
    @Test
    void trainLogsHaltingAndEvalLowersTheThreshold(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            text.append("row ").append(i % 29).append(": a stitch in time saves nine, said the tailor\n");
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        String data = tmp.resolve("data").toString();
        PonderCliTest.Result prep = CliEndToEndTest.ponder("prep", "--input", tmp.resolve("c.txt").toString(), "--out",
                data, "--vocab", "300", "--seq-len", "16", "--val-fraction", "0.1");
        assertEquals(0, prep.code(), prep.err());
        Path config = tmp.resolve("sut.yaml");
        Files.writeString(config, String.join("\n",
                "data: {path: '" + data + "'}",
                "train: {steps: 4, batch_size: 2, seq_len: 16, workers: 2, local_steps: 2, checkpoint_every: 2,",
                "        eval_batches: 1}",
                "model: {family: sut, vocab_size: 300, d_model: 16, n_layers: 4, n_heads: 2, d_head: 8,",
                "        ff_n_experts: 4, ff_expert_size: 8, att_n_experts: 3, context_length: 16}", ""));
        String run = tmp.resolve("run").toString();
        PonderCliTest.Result train = CliEndToEndTest.ponder("train", "--config", config.toString(), "--run-dir", run);
        assertEquals(0, train.code(), train.err());
        List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
        ObjectMapper json = new ObjectMapper();
        JsonNode last = null;
        for (String line : lines) {
            JsonNode r = json.readTree(line);
            if (r.has("histograms")) {
                last = r;
            }
        }
        assertTrue(last != null, lines.toString());
        for (String key : new String[] {"compute/act_loss", "compute/mi_attention", "compute/mi_ffn",
                "compute/expected_depth", "compute/mean_depth", "compute/executed_macs_per_token"}) {
            assertTrue(last.has(key), key + " in " + last);
        }
        assertTrue(last.get("compute/act_loss").asDouble() > 0, last.toString());
        long tokens = 2L * 2 * 2 * 16;                                   // local steps x workers x batch x T
        assertEquals(tokens, last.get("histograms").get("depth").get("num").asLong());
        assertEquals(tokens, last.get("histograms").get("flops").get("num").asLong());
        for (int step = 0; step < 4; step++) {
            assertTrue(last.get("expert_load").has("layer.ffn@" + step), last.get("expert_load").toString());
            assertTrue(last.get("expert_load").has("layer.attention@" + step));
        }

        PonderCliTest.Result full = CliEndToEndTest.ponder("eval", "--checkpoint", run, "--data", data);
        assertEquals(0, full.code(), full.err());
        PonderCliTest.Result low = CliEndToEndTest.ponder("eval", "--checkpoint", run, "--data", data,
                "--set", "model.halting_threshold=0.5");
        assertEquals(0, low.code(), low.err());
        JsonNode f = json.readTree(full.out()).get("compute");
        JsonNode l = json.readTree(low.out()).get("compute");
        assertEquals(0.999, f.get("halting_threshold").asDouble(), 0);
        assertEquals(0.5, l.get("halting_threshold").asDouble(), 0);
        for (JsonNode c : new JsonNode[] {f, l}) {
            for (String key : new String[] {"depth_mean", "depth_histogram", "flops_per_token_mean",
                    "flops_per_token_histogram", "expected_depth"}) {
                assertTrue(c.has(key), key + " in " + c);
            }
            assertEquals(c.get("depth_mean").asDouble(), c.get("depth_histogram").get("sum").asDouble()
                    / c.get("depth_histogram").get("num").asDouble(), 1e-9);
        }
        // alpha is still about 1/2 after 4 steps: Pi_4 = 1/8 keeps every token at tau 0.999; at 0.5 they halt at step 3
        assertEquals(4.0, f.get("depth_mean").asDouble(), 1e-9);
        assertTrue(l.get("depth_mean").asDouble() < 3, l.toString());
        assertTrue(l.get("flops_per_token_mean").asDouble() < 0.8 * f.get("flops_per_token_mean").asDouble(),
                f + " vs " + l);
    }
}
