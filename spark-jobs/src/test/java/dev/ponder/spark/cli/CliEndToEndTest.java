package dev.ponder.spark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.core.io.Npy;
import dev.ponder.core.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user runs it: prep -> init -> train -> eval, each its own local Spark application. */
class CliEndToEndTest {
    static final String MASTER = "local[2]";

    static PonderCliTest.Result ponder(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--master";
        all[1] = MASTER;
        all[2] = "--conf";
        all[3] = "spark.ui.enabled=false";
        System.arraycopy(args, 0, all, 4, args.length);
        return PonderCliTest.run(all);
    }

    @Test
    void prepInitTrainEval(@TempDir Path tmp) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            text.append("line ").append(i % 37).append(": the quick brown fox jumps over the lazy dog\n");
        }
        Files.writeString(tmp.resolve("c.txt"), text);
        String data = tmp.resolve("data").toString();
        PonderCliTest.Result prep = ponder("prep", "--input", tmp.resolve("c.txt").toString(), "--out", data,
                "--vocab", "300", "--seq-len", "32", "--val-fraction", "0.1");
        assertEquals(0, prep.code(), prep.err());
        assertTrue(prep.out().contains("tokens per byte"), prep.out());

        Path config = tmp.resolve("run.yaml");
        Files.writeString(config, String.join("\n",
                "data: {path: '" + data + "'}",
                "train: {steps: 4, batch_size: 2, seq_len: 32, workers: 2, local_steps: 2, checkpoint_every: 2}",
                "model: {family: dense, vocab_size: 300, d_model: 16, n_layers: 1, n_heads: 2, context_length: 32}",
                ""));
        String run = tmp.resolve("run").toString();
        PonderCliTest.Result init = ponder("init", "--config", config.toString(), "--out", run);
        assertEquals(0, init.code(), init.err());
        assertTrue(Files.exists(tmp.resolve("run/checkpoints/step-000000000/COMMIT")));

        PonderCliTest.Result train = ponder("train", "--config", config.toString(), "--run-dir", run);
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("resuming") && train.out().contains("step 4/4"), train.out());
        List<String> metrics = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
        JsonNode last = new ObjectMapper().readTree(metrics.get(metrics.size() - 1));
        for (String key : new String[] {"step", "loss", "ppl", "lr", "grad_norm", "tokens_per_s", "tokens_seen"}) {
            assertTrue(last.has(key), key + " in " + last);
        }

        PonderCliTest.Result eval = ponder("eval", "--checkpoint", run, "--data", data);
        assertEquals(0, eval.code(), eval.err());
        JsonNode e = new ObjectMapper().readTree(eval.out());
        assertEquals(4, e.get("step").asLong());
        assertTrue(e.get("loss").asDouble() > 0 && e.get("tokens").asLong() > 0, eval.out());
        assertTrue(e.get("unigram_entropy").asDouble() > 0, eval.out());

        Path exported = tmp.resolve("w.safetensors");
        PonderCliTest.Result export = ponder("export", "--checkpoint", run, "--format", "safetensors", "--out",
                exported.toString());
        assertEquals(0, export.code(), export.err());
        Map<String, Safetensors.Tensor> weights = Safetensors.read(Files.readAllBytes(exported), "w");
        assertTrue(weights.containsKey("embedding.weight") || weights.keySet().stream().anyMatch(k -> k.contains("emb")),
                weights.keySet().toString());

        int b = 2;
        int t1 = 9;
        int[] ids = new int[b * t1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7 + 3) % 300;
        }
        Path npy = tmp.resolve("tokens.npy");
        Files.write(npy, Npy.writeInts2d(b, t1, ids));
        Path scored = tmp.resolve("score.safetensors");
        PonderCliTest.Result score = ponder("score", "--checkpoint", run, "--tokens", npy.toString(), "--out",
                scored.toString(), "--train-mode", "--grads");
        assertEquals(0, score.code(), score.err());
        Map<String, Safetensors.Tensor> s = Safetensors.read(Files.readAllBytes(scored), "score");
        assertArrayEquals(new long[] {b, t1 - 1, 300}, s.get("logits").shape());
        // The loss must be the mean cross-entropy of the logits it reports.
        float[] logits = s.get("logits").data();
        double ce = 0;
        for (int row = 0; row < b * (t1 - 1); row++) {
            int target = ids[(row / (t1 - 1)) * t1 + row % (t1 - 1) + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < 300; v++) {
                max = Math.max(max, logits[row * 300 + v]);
            }
            double sum = 0;
            for (int v = 0; v < 300; v++) {
                sum += Math.exp(logits[row * 300 + v] - max);
            }
            ce += max + Math.log(sum) - logits[row * 300 + target];
        }
        assertEquals(ce / (b * (t1 - 1)), s.get("loss").data()[0], 1e-4);
        assertEquals(0f, s.get("reg_loss").data()[0], "the dense family has no auxiliary loss");
        for (String name : weights.keySet()) {
            assertArrayEquals(weights.get(name).shape(), s.get("grad." + name).shape(), name);
        }

        PonderCliTest.Result bad = ponder("train", "--config", config.toString(), "--run-dir", run,
                "--set", "train.stepz=5");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("train.stepz") && bad.err().contains("train.steps"), bad.err());
    }
}
