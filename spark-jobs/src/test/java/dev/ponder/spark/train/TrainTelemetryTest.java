package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.report.IndependentEventParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a real training run leaves for people: metrics.jsonl, TensorBoard events and eval.json, consistent. */
class TrainTelemetryTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void metricsTensorBoardAndEvalAgree(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        ResolvedConfig cfg;
        StringWriter console = new StringWriter();
        try (JavaSparkContext sc = TrainFixtures.spark("local[2]")) {
            String data = TrainFixtures.prepareCorpus(sc, tmp, 16);
            cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=2", "train.eval_every=2",
                    "train.steps=4", "train.eval_batches=1");
            TrainDriver.Summary s = new TrainDriver(sc, cfg, run.toString(), new PrintWriter(console, true)).run();
            assertEquals(4, s.step());
            assertTrue(console.toString().contains("ETA"), console.toString());

            // Step 1 is the exact mean over both workers' tokens: each replica's loss from plain training.
            TrainSettings ts = TrainSettings.from(cfg);
            TrainPlan plan = TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), ts,
                    ShardDataset.open(data, new Configuration()), 1);
            double ceSum = 0;
            long tokens = 0;
            for (int p = 0; p < 2; p++) {
                LocalTrainer t = plan.newTrainer();
                WindowStream w = plan.data().stream(Manifest.TRAIN, p, 2, WindowStream.startOf(plan.data(), Manifest.TRAIN, p));
                LocalTrainer.StepResult r = t.step(w.nextBatch(ts.batchSize(), null), ts.batchSize(), ts.window());
                ceSum += r.stats().ceLoss() * r.stats().tokens();
                tokens += r.stats().tokens();
            }
            List<JsonNode> records = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
                records.add(JSON.readTree(line));
            }
            JsonNode step1 = records.stream().filter(r -> r.path("step").asLong() == 1 && r.has("loss")).findFirst()
                    .orElseThrow();
            assertTrue(!step1.has("histograms"), "a round's compute joins its last logged step (2), not step 1");
            assertEquals(ceSum / tokens, step1.get("loss").asDouble(), 1e-6);

            // Per-token compute: exact token counts over all rounds and workers (dense: every token, every layer).
            List<JsonNode> compute = records.stream().filter(r -> r.has("histograms") && r.has("loss"))
                    .collect(Collectors.toList());
            assertEquals(List.of(2L, 4L), compute.stream().map(r -> r.get("step").asLong()).collect(Collectors.toList()));
            long counted = 0;
            for (JsonNode c : compute) {
                JsonNode depth = c.get("histograms").get("depth");
                assertEquals(2.0, depth.get("min").asDouble());
                assertEquals(2.0, depth.get("max").asDouble());
                counted += depth.get("num").asLong();
            }
            assertEquals(4L * 2 * ts.batchSize() * ts.seqLen(), counted, "every trained token counted once");

            JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
            assertEquals(ModelFactory.create(plan.modelConfig(), 0).params().size(), eval.get("parameters").asLong());
            assertEquals(s.validation().loss(), eval.get("val_loss").asDouble(), 1e-9);
            double flops = eval.get("flops_per_token").asDouble();
            assertTrue(flops > 0);
            assertTrue(records.stream().filter(r -> r.has("loss")).allMatch(r -> r.get("flops_per_token").asDouble() == flops));

            // TensorBoard: the same numbers, read back by the independent parser.
            List<Path> files;
            try (Stream<Path> l = Files.list(run.resolve("tb"))) {
                files = l.collect(Collectors.toList());
            }
            assertEquals(1, files.size(), files.toString());
            Map<String, Float> scalars = new LinkedHashMap<>();
            Map<String, IndependentEventParser.Histo> histos = new LinkedHashMap<>();
            for (IndependentEventParser.Event e : IndependentEventParser.parse(Files.readAllBytes(files.get(0)))) {
                for (IndependentEventParser.Value v : e.values()) {
                    if (v.simpleValue() != null) {
                        scalars.put(v.tag() + "@" + e.step(), v.simpleValue());
                    } else {
                        histos.put(v.tag() + "@" + e.step(), v.histo());
                    }
                }
            }
            for (JsonNode r : records) {
                if (r.has("loss")) {
                    assertEquals((float) r.get("loss").asDouble(), scalars.get("train/loss@" + r.get("step").asLong()));
                }
                if (r.has("val_loss")) {
                    assertEquals((float) r.get("val_loss").asDouble(), scalars.get("val/loss@" + r.get("step").asLong()));
                }
            }
            assertEquals((float) flops, scalars.get("perf/flops_per_token@4"));
            assertEquals(2L * ts.batchSize() * ts.seqLen() * 2, (long) histos.get("compute/depth@4").num());

            // Running `train` on the finished run only re-evaluates: no second, empty events file.
            new TrainDriver(sc, cfg, run.toString(), new PrintWriter(new StringWriter(), true)).run();
            try (Stream<Path> l = Files.list(run.resolve("tb"))) {
                assertEquals(1, l.count());
            }
        }
    }
}
