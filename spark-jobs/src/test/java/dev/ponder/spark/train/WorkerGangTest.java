package dev.ponder.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.shard.Cursor;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds on long-lived tasks (train.persistent_tasks) against rounds as their own Spark jobs, on
 * local[2, 3]: two slots, and up to three attempts per task so a failed gang task is rerun.
 */
class WorkerGangTest {
    static JavaSparkContext sc;
    static Path tmp;
    static String data;
    static final AtomicInteger failedTasks = new AtomicInteger();
    /** Jobs that ran gang tasks (their stages are named for WorkerGang's call site). */
    static final AtomicInteger gangStages = new AtomicInteger();

    @BeforeAll
    static void setUp() throws Exception {
        sc = TrainFixtures.spark("local[2,3]");
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted e) {
                if (e.stageInfo().name().contains("WorkerGang")) {
                    gangStages.incrementAndGet();
                }
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failedTasks.incrementAndGet();
                }
            }
        });
        tmp = Files.createTempDirectory("ponder-gang");
        data = TrainFixtures.prepareCorpus(sc, tmp, 16);
    }

    @AfterAll
    static void tearDown() throws Exception {
        TrainFixtures.closeAndDelete(sc, tmp);
    }

    static float[] trainAndLoad(ResolvedConfig cfg, Path runDir) {
        new TrainDriver(sc, cfg, runDir.toString(), new PrintWriter(new StringWriter())).run();
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(runDir.toUri()), new Configuration());
        return store.loadLatest(w -> { }).orElseThrow().params();
    }

    @Test
    void gangRoundsGiveTheParametersOfRoundsAsTheirOwnJobs(@TempDir Path run) {
        // Two workers on two slots (exact: a sum of two is the same either way round), with a
        // validation pass between rounds (the gang stops for it and a new one starts after).
        String[] two = {"train.workers=2", "train.local_steps=2", "train.steps=8", "train.eval_every=4"};
        int stages = gangStages.get();
        float[] jobs = trainAndLoad(TrainFixtures.config(data, with(two, "train.persistent_tasks=false")),
                run.resolve("jobs2"));
        awaitListeners();
        assertEquals(stages, gangStages.get(), "persistent_tasks=false runs no gang");
        float[] gang = trainAndLoad(TrainFixtures.config(data, with(two, "train.persistent_tasks=true")),
                run.resolve("gang2"));
        awaitListeners();
        assertEquals(stages + 2, gangStages.get(), "one gang before the validation at step 4, one after");
        assertArrayEquals(jobs, gang, 0f);
        // Three workers on two slots: one gang task hosts workers 0 and 2 in turn. A job's reduce sums
        // in the order tasks finish, so the two agree to float rounding, not bit for bit.
        String[] three = {"train.workers=3", "train.local_steps=2", "train.steps=4"};
        float[] jobs3 = trainAndLoad(TrainFixtures.config(data, with(three, "train.persistent_tasks=false")),
                run.resolve("jobs3"));
        float[] gang3 = trainAndLoad(TrainFixtures.config(data, with(three, "train.persistent_tasks=true")),
                run.resolve("gang3"));
        assertArrayEquals(jobs3, gang3, 1e-6f);
    }

    @Test
    void aTaskWhoseConnectionIsCutMidRoundIsRerunAndTheRoundGivesTheSameResult() throws Exception {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=3");
        TrainSettings s = TrainSettings.from(cfg);
        ShardDataset ds = ShardDataset.open(data, new Configuration());
        TrainPlan plan = TrainPlan.of(ModelConfig.fromMap(cfg.section("model")), s, ds, 1);
        LocalTrainer fresh = plan.newTrainer();
        List<Cursor> cursors = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            cursors.add(WindowStream.startOf(ds, Manifest.TRAIN, p));
        }
        RoundInput in = new RoundInput(0, 3, fresh.model().params().paramsToArray(),
                new float[fresh.optimizerStateSize()], cursors);
        Broadcast<TrainPlan> shared = sc.broadcast(plan);
        try (WorkerGang gang = WorkerGang.start(sc, shared, GangLayout.of(List.of(List.of(), List.of()), 2))) {
            RoundResult clean = gang.round(in);
            int failedBefore = failedTasks.get();
            RoundResult cut = gang.round(in, () -> gang.cut(0));
            clean.average();
            cut.average();
            assertArrayEquals(clean.params, cut.params, 0f, "the rerun task recomputed the same round");
            assertArrayEquals(clean.optimizerState, cut.optimizerState, 0f);
            assertArrayEquals(clean.ceLoss, cut.ceLoss, 0.0);
            assertEquals(clean.cursors, cut.cursors);
            assertEquals(2, cut.replicas);
            // The task attempt whose connection was cut failed, and Spark reran it.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (failedTasks.get() == failedBefore && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(failedTasks.get() > failedBefore, "a failed attempt of the cut task");
            RoundResult after = gang.round(in); // and the gang goes on
            after.average();
            assertArrayEquals(clean.params, after.params, 0f);
        } finally {
            shared.destroy();
        }
    }

    /**
     * A gang task that fails on every attempt (its connection cut three times: local[2,3] allows
     * three) fails the gang's job; the driver replaces the gang, since it had completed rounds, and
     * reruns the round: the run ends with the parameters of an undisturbed one.
     */
    @Test
    void aGangWhoseJobFailsAfterCompletingRoundsIsReplacedAndTheRunEndsWithTheSameParameters(@TempDir Path run)
            throws Exception {
        ResolvedConfig cfg = TrainFixtures.config(data, "train.workers=2", "train.local_steps=2", "train.steps=6");
        float[] undisturbed = trainAndLoad(cfg, run.resolve("undisturbed"));
        int failedBefore = failedTasks.get();
        StringWriter console = new StringWriter();
        new TrainDriver(sc, cfg, run.resolve("replaced").toString(), new PrintWriter(console, true))
                .onGangRound((round, gang) -> {
                    if (round == 1 && gang.completedRounds() == 1) {          // the first gang's second round
                        Thread cutter = new Thread(() -> cutEveryAttempt(gang, 0, 3));
                        cutter.setDaemon(true);
                        cutter.start();
                    }
                }).run();
        CheckpointStore store = new CheckpointStore(new org.apache.hadoop.fs.Path(run.resolve("replaced").toUri()),
                new Configuration());
        assertArrayEquals(undisturbed, store.loadLatest(w -> { }).orElseThrow().params(), 0f);
        assertTrue(console.toString().contains("restarting the long-lived tasks for step "), console.toString());
        assertTrue(failedTasks.get() - failedBefore >= 3, "three failed attempts of task 0");
    }

    /** Cuts task {@code task}'s connection each time one of its first {@code attempts} attempts connects. */
    private static void cutEveryAttempt(WorkerGang gang, int task, int attempts) {
        try {
            for (int k = 1; k <= attempts; k++) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (gang.connections(task) < k && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                gang.cut(task);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Every family trains to the same parameters on a gang, whose tasks reload their replicas each
     * round, as on a job per round, whose tasks build fresh ones: a replica keeps no state between
     * rounds besides what the round loads (MoEUT with expert dropout: its draws come from the
     * batch's tokens; SHARCS: its per-window history arrives with each round).
     */
    @Test
    void everyFamilyGivesTheSameParametersOnReloadedReplicasAsOnFreshOnes(@TempDir Path run) {
        String train = "train: {steps: 6, batch_size: 2, seq_len: 16, lr: 3.0e-3, warmup_steps: 1, workers: 2, "
                + "local_steps: 2, checkpoint_every: 0, eval_batches: 1}";
        java.util.Map<String, String> models = new java.util.LinkedHashMap<>();
        models.put("dense", "{family: dense, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_ff: 64, "
                + "context_length: 16}");
        models.put("moe", "{family: moe, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, moe_n_experts: 4, "
                + "moe_expert_size: 16, moe_k: 2, context_length: 16}");
        models.put("moeut", "{family: moeut, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_head: 16, "
                + "group_size: 1, ff_n_experts: 8, ff_expert_size: 8, ff_k: 2, att_n_experts: 2, att_k: 1, "
                + "ff_expert_dropout: 0.2, context_length: 16}");
        models.put("sut", "{family: sut, vocab_size: 256, d_model: 16, n_layers: 4, n_heads: 2, d_head: 8, "
                + "ff_n_experts: 4, ff_expert_size: 8, att_n_experts: 3, context_length: 16}");
        models.put("sharcs", "{family: sharcs, vocab_size: 256, d_model: 32, n_layers: 2, n_heads: 2, d_ff: 64, "
                + "sharcs_widths: '0.5,1.0', sharcs_ranges: '0.0:1.0,0.0:0.5', sharcs_start_layer: 1, "
                + "sharcs_router_hidden: 16, sharcs_prefix_len: 4, sharcs_history: 1, context_length: 16}");
        models.put("mod", "{family: mod, mod_block: dense, vocab_size: 256, d_model: 16, n_layers: 2, n_heads: 2, "
                + "d_ff: 32, mod_capacity: 0.25, mod_predictor_hidden: 8, context_length: 16}");
        models.forEach((family, model) -> {
            String yaml = String.join("\n", "seed: 3", "data: {path: '" + data + "'}", train, "model: " + model, "");
            float[] jobs = trainAndLoad(resolve(yaml, family, "train.persistent_tasks=false"), run.resolve(family + "-jobs"));
            float[] gang = trainAndLoad(resolve(yaml, family, "train.persistent_tasks=true"), run.resolve(family + "-gang"));
            assertArrayEquals(jobs, gang, 0f, family);
        });
    }

    private static ResolvedConfig resolve(String yaml, String name, String... sets) {
        return dev.ponder.spark.config.ConfigLoader.resolve(yaml, name, List.of(sets),
                dev.ponder.spark.config.RunSchema::forRaw);
    }

    @Test
    void aFixedGangPortTakesTheNextFreeOneWhenTakenAndNamesTheSettingWhenNoneIs() throws Exception {
        java.net.InetAddress loopback = java.net.InetAddress.getLoopbackAddress();
        try (java.net.ServerSocket taken = WorkerGang.listen(loopback, 0, 16)) {
            int p = taken.getLocalPort();
            try (java.net.ServerSocket next = WorkerGang.listen(loopback, p, 16)) {
                assertTrue(next.getLocalPort() != p && next.getLocalPort() <= p + 16, "port " + next.getLocalPort());
            }
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> WorkerGang.listen(loopback, p, 0));
            assertTrue(e.getMessage().contains("spark.ponder.gang.port=" + p + ": no free port in [" + p + ", " + p + "]"),
                    e.getMessage());
        }
    }

    /** Spark delivers listener events on its own thread, after the job returned. */
    private static void awaitListeners() {
        try {
            sc.sc().listenerBus().waitUntilEmpty(30_000);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Spark's listener events not delivered within 30 s", e);
        }
    }

    private static String[] with(String[] base, String extra) {
        String[] all = java.util.Arrays.copyOf(base, base.length + 1);
        all[base.length] = extra;
        return all;
    }
}
