package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.prep.job.PrepOptions;
import dev.ponder.prep.job.PrepareCorpus;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SHARCS on Spark, end to end: two workers over several epochs of a small corpus. Windows train at
 * full width until they have sharcs_history visits; the confidence history travels with the rounds
 * (broadcast in, visits back), is checkpointed and survives a resume; validation reports quality,
 * FLOPs per width and the router's accuracy.
 */
class SharcsTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * About 190 training windows of 17 bytes (8 per step: an epoch every ~24 steps). Every line is
     * 14 bytes and starts with a unique 4-digit id, so every 17-byte window holds a whole id: no two
     * windows are equal (equal windows would share their history). The validation split takes a
     * tenth of the lines.
     */
    private static String corpus(JavaSparkContext sc, Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        String[] subjects = {"cat", "dog"};
        String[] verbs = {"sees", "eats"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 240; i++) {
            sb.append(String.format("%04d %s %s\n", i, subjects[rnd.nextInt(2)], verbs[rnd.nextInt(2)]));
        }
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, sb.toString(), StandardCharsets.UTF_8);
        String out = dir.resolve("data").toString();
        PrepareCorpus.run(sc, new PrepOptions(List.of(text.toString()), out, "byte", 256, 16, 0.1, 0, 2, 1000, false),
                s -> { });
        return out;
    }

    private static ResolvedConfig config(String data, int steps) {
        return TrainFixtures.config(data, "model.family=sharcs", "model.n_layers=2", "model.sharcs_widths=0.5,1.0",
                "model.sharcs_ranges=0.0:1.0,0.0:0.5", "model.sharcs_start_layer=1", "model.sharcs_router_hidden=16",
                "model.sharcs_prefix_len=4", "model.sharcs_history=1", "train.workers=2", "train.local_steps=4",
                "train.steps=" + steps, "train.checkpoint_every=24", "train.log_every=4", "train.eval_batches=2");
    }

    private static List<JsonNode> trainRecords(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode r = JSON.readTree(line);
            if (r.has("histograms") && r.has("loss")) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void narrowWidthsTrainOnceWindowsHaveHistoryAndTheHistorySurvivesAResume(@TempDir Path dir) throws Exception {
        try (JavaSparkContext sc = TrainFixtures.spark("local[2]")) {
            String data = corpus(sc, dir);
            Path run = dir.resolve("run");
            StringWriter console = new StringWriter();
            TrainDriver.Summary s = new TrainDriver(sc, config(data, 48), run.toString(), new PrintWriter(console, true))
                    .run();
            assertEquals(48, s.step());
            List<JsonNode> records = trainRecords(run);
            JsonNode first = records.get(0);
            assertEquals(1.0, first.get("histograms").get("width").get("min").asDouble(), 0,
                    "first visits train at full width");
            assertTrue(first.get("compute/router_acc").asDouble() >= 0);
            JsonNode last = records.get(records.size() - 1);
            double mean = last.get("histograms").get("width").get("sum").asDouble()
                    / last.get("histograms").get("width").get("num").asDouble();
            assertTrue(mean < 0.95, "after an epoch windows are labelled 0.5 (and 1.0 below 0.5): mean width " + mean);
            assertTrue(last.get("histograms").get("flops").get("min").asDouble()
                    < first.get("histograms").get("flops").get("min").asDouble(), "narrow windows cost fewer FLOPs");
            assertTrue(last.get("aux_loss").asDouble() > 0, "router BCE");

            // The checkpoint holds the driver's history: every trained window, visited 2-3 times.
            CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(run.toUri()), new Configuration());
            Map<String, Object> meta = CheckpointStore.parseMeta(store.load(48).metaJson());
            ConfidenceHistory h = ConfidenceHistory.decode(java.util.Base64.getDecoder()
                    .decode((String) meta.get("sample_history")));
            assertEquals(1, h.window());
            assertTrue(h.size() > 100, "windows in the history: " + h.size());

            JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
            JsonNode vc = eval.get("val_compute");
            assertTrue(vc != null, eval.toString());
            double acc = vc.get("router_accuracy").asDouble();
            assertTrue(acc >= 0 && acc <= 1, "router accuracy " + acc);
            JsonNode widths = vc.get("widths");
            long tokens = 0;
            for (String w : List.of("0.5", "1.0")) {
                tokens += widths.get(w).get("tokens").asLong();
            }
            assertEquals(eval.get("val_tokens").asLong(), tokens, "every validation token is predicted at one width");
            assertTrue(widths.get("1.0").get("flops_per_token").asDouble() > 0);

            // Resume: the restored history labels windows from the first resumed round on.
            TrainDriver.Summary r = new TrainDriver(sc, config(data, 56), run.toString(), new PrintWriter(console, true))
                    .run();
            assertEquals(56, r.step());
            assertTrue(console.toString().contains("resuming"), console.toString());
            List<JsonNode> after = trainRecords(run);
            JsonNode resumed = after.stream().filter(x -> x.get("step").asLong() == 52).findFirst().orElseThrow();
            assertTrue(resumed.get("histograms").get("width").get("min").asDouble() < 1.0,
                    "the first round after the resume already trains narrow widths");
        }
    }
}
