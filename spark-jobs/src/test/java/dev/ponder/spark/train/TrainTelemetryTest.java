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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a real training run leaves for people: metrics.jsonl, TensorBoard events and eval.json, consistent. */
class TrainTelemetryTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static JavaSparkContext sc;
    static Path tmp;
    static String data;

    @BeforeAll
    static void setUp() throws Exception {
        sc = TrainFixtures.spark("local[2]");
        tmp = Files.createTempDirectory("ponder-telemetry");
        data = TrainFixtures.prepareCorpus(sc, tmp, 16);
    }

    @AfterAll
    static void tearDown() throws Exception {
        TrainFixtures.closeAndDelete(sc, tmp);
    }

    static List<JsonNode> metrics(Path run) throws Exception {
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            records.add(JSON.readTree(line));
        }
        return records;
    }

    static List<IndependentEventParser.Event> events(Path run) throws Exception {
        List<Path> files;
        try (Stream<Path> l = Files.list(run.resolve("tb"))) {
            files = l.collect(Collectors.toList());
        }
        assertEquals(1, files.size(), files.toString());
        return IndependentEventParser.parse(Files.readAllBytes(files.get(0)));
    }

    @Test
    void metricsTensorBoardAndEvalAgree(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        ResolvedConfig cfg;
        StringWriter console = new StringWriter();
        {
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
            List<JsonNode> records = metrics(run);
            JsonNode step1 = records.stream().filter(r -> r.path("step").asLong() == 1 && r.has("loss")).findFirst()
                    .orElseThrow();
            assertTrue(!step1.has("histograms"), "a round's compute joins its last logged step (2), not step 1");
            assertEquals(ceSum / tokens, step1.get("loss").asDouble(), 1e-6);
            // The driver's work between rounds (here round 1's averaging, logging and validation) is
            // logged with the next round, outside its round_seconds; a process's first round has none.
            for (JsonNode r : records) {
                if (r.has("round_seconds")) {
                    double driver = r.get("driver_seconds").asDouble(-1);
                    assertTrue(r.get("round_start_step").asLong() == 0 ? driver == 0 : driver > 0, r.toString());
                }
            }

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
            Map<String, Float> scalars = new LinkedHashMap<>();
            Map<String, IndependentEventParser.Histo> histos = new LinkedHashMap<>();
            for (IndependentEventParser.Event e : events(run)) {
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

    /** A routed family: the model's RoutingStats reach metrics.jsonl and TensorBoard as exact counts. */
    @Test
    void moeutExpertLoadIsCountedExactly(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("moeut");
        String yaml = String.join("\n",
                "seed: 5",
                "data: {path: '" + data + "'}",
                "train: {steps: 4, batch_size: 2, seq_len: 16, workers: 2, local_steps: 2, eval_batches: 1,",
                "        checkpoint_every: 0}",
                "model: {family: moeut, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_head: 16,",
                "        group_size: 1, ff_n_experts: 8, ff_expert_size: 8, ff_k: 2, att_n_experts: 2, att_k: 1,",
                "        context_length: 16}", "");
        ResolvedConfig cfg = dev.ponder.spark.config.ConfigLoader.resolve(yaml, "moeut", List.of(),
                dev.ponder.spark.config.RunSchema::forRaw);
        new TrainDriver(sc, cfg, run.toString(), new PrintWriter(new StringWriter(), true)).run();
        long roundTokens = 2L * 2 * 2 * 16; // local steps x workers x batch x seq_len
        List<JsonNode> rounds = metrics(run).stream().filter(r -> r.has("expert_load")).collect(Collectors.toList());
        assertEquals(List.of(2L, 4L), rounds.stream().map(r -> r.get("step").asLong()).collect(Collectors.toList()));
        for (JsonNode r : rounds) {
            assertEquals(2L, r.get("histograms").get("depth").get("max").asLong(), "every token ran both layers");
            long modules = 0;
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = r.get("expert_load").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long slots = 0;
                for (JsonNode c : e.getValue()) {
                    slots += c.asLong();
                }
                // sigma-MoE runs exactly ff_k experts per token; SwitchHead att_k per head, per value/output router.
                assertTrue(slots > 0 && slots % roundTokens == 0, e.getKey() + ": " + slots + " slots for "
                        + roundTokens + " tokens");
                modules++;
            }
            assertTrue(modules >= 2, r.get("expert_load").toString());
            assertEquals(modules * roundTokens, r.get("histograms").get("experts").get("num").asLong(),
                    "one experts-per-token count per token and routed module");
            assertTrue(r.has("compute/executed_macs_per_token"), r.toString());
        }
        long histograms = events(run).stream().flatMap(e -> e.values().stream())
                .filter(v -> v.histo() != null && v.tag().startsWith("expert_load/")).count();
        assertEquals(2 * rounds.get(0).get("expert_load").size(), histograms, "an expert-load histogram per module and round");
    }
}
