package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.spark.ckpt.CheckpointData;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainDriverTest {
    static JavaSparkContext sc;
    static Path tmp;
    static String data;

    @BeforeAll
    static void setUp() throws Exception {
        sc = TrainFixtures.spark("local[2]");
        tmp = Files.createTempDirectory("ponder-train");
        data = TrainFixtures.prepareCorpus(sc, tmp, 16);
    }

    @AfterAll
    static void tearDown() throws Exception {
        TrainFixtures.closeAndDelete(sc, tmp);
    }

    static TrainDriver.Summary train(ResolvedConfig cfg, Path runDir) {
        return new TrainDriver(sc, cfg, runDir.toString(), new PrintWriter(new StringWriter())).run();
    }

    static float[] finalParams(Path runDir) {
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(runDir.toUri()), new Configuration());
        return store.loadLatest(w -> { }).orElseThrow().params();
    }

    /** Plain single-process training: the same batches, the same code path, no Spark. */
    static LocalTrainer plainReplica(ResolvedConfig cfg, int slice, int slices, int steps) {
        TrainSettings s = TrainSettings.from(cfg);
        TrainPlan plan = TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), s,
                ShardDataset.open(data, new Configuration()), 1);
        LocalTrainer t = plan.newTrainer();
        WindowStream stream = plan.data().stream(Manifest.TRAIN, slice, slices,
                WindowStream.startOf(plan.data(), Manifest.TRAIN, slice));
        for (int i = 0; i < steps; i++) {
            t.step(stream.nextBatch(s.batchSize(), null), s.batchSize(), s.window());
        }
        return t;
    }

    @Test
    void oneWorkerOneLocalStepEqualsPlainTraining(@TempDir Path run) {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=1", "train.local_steps=1");
        TrainDriver.Summary summary = train(cfg, run);
        assertEquals(6, summary.step());
        float[] viaSpark = finalParams(run);
        float[] plain = plainReplica(cfg, 0, 1, 6).model().params().paramsToArray();
        assertArrayEquals(plain, viaSpark, 1e-6f);
    }

    @Test
    void oneRoundOfTwoWorkersIsTheMeanOfTwoIndependentReplicas(@TempDir Path run) {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=3", "train.steps=3");
        train(cfg, run);
        float[] averaged = finalParams(run);
        float[] a = plainReplica(cfg, 0, 2, 3).model().params().paramsToArray();
        float[] b = plainReplica(cfg, 1, 2, 3).model().params().paramsToArray();
        float[] mean = new float[a.length];
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            mean[i] = (a[i] + b[i]) / 2f;
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertTrue(diff > 1e-4, "the replicas saw different data, so they differ");
        assertArrayEquals(mean, averaged, 1e-6f);
    }

    @Test
    void placedRoundsGiveTheSameParametersAndLogTheExecutorsThatRanThem(@TempDir Path run) throws Exception {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=3", "train.steps=6");
        train(cfg, run.resolve("spark-chooses"));
        List<Integer> rounds = new ArrayList<>();
        new TrainDriver(sc, cfg, run.resolve("placed").toString(), new PrintWriter(new StringWriter()))
                .placing((round, n) -> {
                    rounds.add(round);
                    return Collections.nCopies(n, List.<String>of()); // no preference
                }).run();
        assertEquals(List.of(0, 1), rounds);
        assertArrayEquals(finalParams(run.resolve("spark-chooses")), finalParams(run.resolve("placed")), 0f);
        // local mode runs every task in the driver's executor, named "driver"
        List<String> logged = Files.readAllLines(run.resolve("placed").resolve(MetricsLog.FILE)).stream()
                .filter(l -> l.contains("round_seconds")).toList();
        assertTrue(!logged.isEmpty() && logged.stream().allMatch(l -> l.contains("\"round_executors\":1")),
                String.join("\n", logged));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TrainDriver(sc, cfg,
                run.resolve("misplaced").toString(), new PrintWriter(new StringWriter()))
                .placing((round, n) -> List.of(List.<String>of())).run());
        assertTrue(e.getMessage().contains("task placement of round 0: expected 2 location lists (train.workers), "
                + "found 1"), e.getMessage());
    }

    @Test
    void interruptedAndResumedRunEndsWithTheSameParameters(@TempDir Path run) throws Exception {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=1");
        train(cfg, run);
        float[] uninterrupted = finalParams(run);
        long metricLines = Files.readAllLines(run.resolve("metrics.jsonl")).size();
        // As if the driver died after the step-3 checkpoint: the later one never got committed.
        Files.delete(run.resolve("checkpoints/step-000000006/COMMIT"));
        TrainDriver.Summary resumed = train(cfg, run);
        assertEquals(6, resumed.step());
        assertArrayEquals(uninterrupted, finalParams(run), 1e-6f);
        assertEquals(metricLines, Files.readAllLines(run.resolve("metrics.jsonl")).size(),
                "steps 4-6 are logged once, not twice");
    }

    @Test
    void lossGoesDownAndBeatsTheUnigramBaseline(@TempDir Path run) {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.steps=60", "train.checkpoint_every=0", "train.lr=1e-2",
                "train.workers=2", "train.local_steps=2");
        TrainDriver.Summary s = train(cfg, run);
        double unigram = UnigramEntropy.of(sc, ShardDataset.open(data, new Configuration()), Manifest.TRAIN);
        assertTrue(s.validation().loss() < unigram - 0.3,
                "val loss " + s.validation().loss() + " vs unigram entropy " + unigram);
    }

    @Test
    void nonFiniteLossStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint(@TempDir Path run) {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.lr=1e30", "train.warmup_steps=0", "train.grad_clip=0",
                "train.checkpoint_every=1", "train.steps=20");
        TrainingDiverged e = assertThrows(TrainingDiverged.class, () -> train(cfg, run));
        assertTrue(e.getMessage().contains("non-finite") && e.getMessage().contains("last good checkpoint"),
                e.getMessage());
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(run.toUri()), new Configuration());
        CheckpointData last = store.loadLatest(w -> { }).orElseThrow();
        assertTrue(e.getMessage().contains("step " + last.step()), e.getMessage());
        for (float v : last.params()) {
            assertTrue(Float.isFinite(v), "the kept checkpoint holds finite parameters");
        }
    }

    @Test
    void missingDataAndIncompatibleSettingsAreErrorsNamingTheKey(@TempDir Path run) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> train(TrainFixtures.config(data, "train.seq_len=32"), run));
        assertTrue(e.getMessage().contains("train.seq_len"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> train(TrainFixtures.config(data, "model.vocab_size=100"), run));
        assertTrue(e.getMessage().contains("model.vocab_size"), e.getMessage());
        RuntimeException r = assertThrows(RuntimeException.class,
                () -> train(TrainFixtures.config(tmp.resolve("nothing-here").toString()), run));
        assertTrue(r.getMessage().contains("manifest.json"), r.getMessage());
    }
}
