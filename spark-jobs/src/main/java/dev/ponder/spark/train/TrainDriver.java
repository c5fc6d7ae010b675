package dev.ponder.spark.train;

import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.train.LocalTrainer;
import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.prep.shard.Cursor;
import dev.ponder.prep.shard.Manifest;
import dev.ponder.prep.shard.ShardDataset;
import dev.ponder.prep.shard.WindowStream;
import dev.ponder.spark.ckpt.CheckpointData;
import dev.ponder.spark.ckpt.CheckpointStore;
import dev.ponder.spark.config.ResolvedConfig;
import dev.ponder.spark.report.RunData;
import dev.ponder.spark.report.TensorBoardLog;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** The driver loop of {@code ponder train}: rounds, averaging, logging, checkpoints, evaluation. */
public final class TrainDriver {
    /** Where a run ended. */
    public record Summary(String runDir, long step, double lastLoss, Evaluator.Totals validation, double tokensPerSecond) {}

    private final JavaSparkContext sc;
    private final ResolvedConfig config;
    private final TrainSettings settings;
    private final ModelConfig modelConfig;
    private final Path runDir;
    private final Configuration conf;
    private final PrintWriter console;
    /** Driver-side broadcast creation of the latest round (seconds), for the round-time keys. */
    private double lastBroadcastCreateSeconds;
    /**
     * The run's plan, broadcast once: executors deserialize it (with its Hadoop configuration)
     * once per JVM and Spark caches it, instead of once per task from every round's closure.
     */
    private Broadcast<TrainPlan> sharedPlan;
    /** Where each round's tasks should run, or null: Spark chooses (see {@link #placing}). */
    private TaskPlacement placement;
    /** Rounds this process has run (the index {@link TaskPlacement} sees). */
    private int roundsRun;
    /** The long-lived tasks running the current rounds (train.persistent_tasks), or null between gangs. */
    private WorkerGang gang;
    /** Tests: see {@link #onGangRound}. */
    private java.util.function.BiConsumer<Integer, WorkerGang> gangFault = (round, g) -> { };

    public TrainDriver(JavaSparkContext sc, ResolvedConfig config, String runDir, PrintWriter console) {
        this.sc = sc;
        this.config = config;
        this.settings = TrainSettings.from(config);
        this.modelConfig = ModelConfig.fromMap(config.section("model"));
        this.conf = sc.hadoopConfiguration();
        this.runDir = HadoopFiles.qualify(runDir, conf);
        this.console = console;
    }

    /** Pins each round's tasks where {@code p} says (benchmarks); returns this driver. */
    public TrainDriver placing(TaskPlacement p) {
        this.placement = p;
        return this;
    }

    public Summary run() {
        boolean done = false;
        try {
            Summary s = train();
            done = true;
            return s;
        } finally {
            if (done) {
                stopGang();
            } else if (gang != null) {
                gang.abort();                            // the run failed: stop its tasks at once
                gang = null;
            }
            if (sharedPlan != null) {
                sharedPlan.destroy();
                sharedPlan = null;
            }
        }
    }

    private Summary train() {
        if (settings.dataPath().isEmpty()) {
            throw new IllegalArgumentException("config key data.path is required for training (a `ponder prep` output)");
        }
        ShardDataset data = ShardDataset.open(settings.dataPath(), conf);
        checkCompatible(data.manifest());
        TrainPlan plan = TrainPlan.of(modelConfig, settings, data, threadsPerTask(sc, settings));
        sharedPlan = sc.broadcast(plan);
        CheckpointStore store = new CheckpointStore(runDir, conf);
        LanguageModel reference = ModelFactory.create(modelConfig, settings.seed());
        RunState state = resumeOrStart(store, reference, data);
        MetricsLog metrics = new MetricsLog(runDir, conf, state.step);
        TensorBoardLog tb = new TensorBoardLog(runDir, conf); // the same records, for TensorBoard
        double flopsPerToken = ComputeStats.flopsPerToken(reference, settings.seqLen());
        Map<String, Object> provenance = Provenance.describe(sc.version(), sc.master());
        HadoopFiles.writeString(new Path(runDir, "config.json"), config.toJson(), conf);

        long startStep = state.step;
        long startNanos = System.nanoTime();
        long tokensThisRun = 0;
        double lastLoss = Double.NaN;
        long lastCheckpoint = store.committedSteps().isEmpty() ? -1 : state.step;
        RoutingStats loadWindow = RoutingStats.EMPTY; // expert load since the last checkpoint
        long windowStart = state.step;
        long previousRoundEnd = -1; // nanoTime at which this process's previous round's job returned
        while (state.step < settings.steps()) {
            int k = (int) Math.min(settings.localSteps(), settings.steps() - state.step);
            // Spark UI: rounds counted over the whole run (not this process), so resumed runs read the same.
            sc.setJobGroup("ponder-train", String.format("train round %d/%d, step %d of %s",
                    state.step / settings.localSteps() + 1, (settings.steps() + settings.localSteps() - 1)
                    / settings.localSteps(), state.step, runDir.getName()), false);
            long t0 = System.nanoTime();
            // The driver's work since the previous round's job returned: averaging its results,
            // logging, validation and checkpoints (0 for this process's first round).
            double driverSeconds = previousRoundEnd < 0 ? 0 : (t0 - previousRoundEnd) / 1e9;
            RoundResult r = runRound(state, k);
            previousRoundEnd = System.nanoTime();
            double seconds = (previousRoundEnd - t0) / 1e9;
            if (r.failure != null) {
                throw new TrainingDiverged(r.failure + "; stopped without saving this state; the last good checkpoint is "
                        + (lastCheckpoint >= 0 ? "step " + lastCheckpoint + " in " + store.stepDir(lastCheckpoint)
                        : "none (no checkpoint was written yet)"));
            }
            r.average();
            long before = state.step;
            state.step += k;
            state.params = r.params;
            state.optimizerState = r.optimizerState;
            state.cursors = new ArrayList<>(r.cursors.values());
            if (state.history != null && r.visits != null) {
                state.history.apply(r.visits);
            }
            tokensThisRun += r.tokens;
            loadWindow = loadWindow.merge(r.routing);
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            double tokPerS = tokensThisRun / Math.max(1e-9, elapsed);
            List<Map<String, Object>> logged = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                long step = before + j + 1;
                lastLoss = r.ceLoss[j] / r.stepTokens[j];
                if (step % settings.logEvery() == 0 || step == settings.steps()) {
                    Map<String, Object> rec = stepRecord(step, r, j, tokPerS, before, k);
                    rec.put("flops_per_token", flopsPerToken);
                    putRoundTimes(rec, r, seconds, lastBroadcastCreateSeconds, driverSeconds);
                    logged.add(rec);
                }
            }
            // The round's per-token compute (histograms, expert load) joins its last logged step's record.
            if (!logged.isEmpty()) {
                logged.get(logged.size() - 1).putAll(ComputeStats.fields(r));
            }
            for (Map<String, Object> rec : logged) {
                metrics.append(rec);
                tb.addMetrics(rec);
            }
            if (crossed(before, state.step, settings.evalEvery())) {
                stopGang(); // its tasks hold the slots validation needs
                sc.setJobGroup("ponder-train", "validation at step " + state.step + " of " + runDir.getName(), false);
                Evaluator.Totals v = Evaluator.evaluate(sc, plan, state.params, Manifest.VAL, evalWindows());
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("step", state.step);
                rec.put("val_loss", v.loss());
                rec.put("val_ppl", v.perplexity());
                v.means().forEach((name, mean) -> rec.put("val_compute/" + name, mean));
                metrics.append(rec);
                tb.addMetrics(rec);
                console.printf("eval step %d: val loss %.4f ppl %.2f%n", state.step, v.loss(), v.perplexity());
            }
            progress(state.step, lastLoss, r.lr[k - 1], tokPerS, elapsed, state.step - startStep, seconds);
            if (crossed(before, state.step, settings.checkpointEvery()) || state.step == settings.steps()) {
                store.write(state.toCheckpoint(config.nested(), provenance, reference.params().specs()));
                store.prune(settings.keepCheckpoints());
                lastCheckpoint = state.step;
                metrics.flush();
                tb.flush();
                ExpertLoadSummary.lines(loadWindow, windowStart, state.step).forEach(console::println);
                loadWindow = RoutingStats.EMPTY;
                windowStart = state.step;
            }
        }
        metrics.flush();
        tb.flush();
        stopGang();
        sc.setJobGroup("ponder-train", "final validation of " + runDir.getName(), false);
        Evaluator.Totals val = Evaluator.evaluate(sc, plan, state.params, Manifest.VAL, evalWindows());
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        writeEval(val, state.step, lastLoss, reference.params().size(), flopsPerToken,
                tokensThisRun > 0 ? tokensThisRun / Math.max(1e-9, elapsed) : Double.NaN);
        return new Summary(runDir.toString(), state.step, lastLoss, val, tokensThisRun / Math.max(1e-9, elapsed));
    }

    /**
     * {@code <run-dir>/eval.json}: the final validation with what the comparison report needs
     * (parameters, FLOPs/token, throughput). Written after the final checkpoint, so a run that
     * has one but not this file (killed in between) writes it when `train` is run again.
     */
    private void writeEval(Evaluator.Totals val, long step, double trainLoss, long parameters, double flopsPerToken,
            double tokensPerSecond) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("family", modelConfig.family());
        m.put("parameters", parameters);
        m.put("flops_per_token", flopsPerToken);
        m.put("tokens_seen", step * (long) settings.batchSize() * settings.seqLen() * settings.workers());
        if (Double.isFinite(trainLoss)) {
            m.put("train_loss", trainLoss);
        }
        if (Double.isFinite(tokensPerSecond)) {
            m.put("tokens_per_s", tokensPerSecond);
        }
        m.put("val_loss", val.loss());
        m.put("val_ppl", val.perplexity());
        m.put("val_tokens", val.tokens());
        m.put("val_windows", val.windows());
        Map<String, Object> compute = EvalCompute.fields(val);
        if (!compute.isEmpty()) {
            m.put("val_compute", compute);
        }
        try {
            HadoopFiles.writeString(new Path(runDir, RunData.EVAL_FILE), new com.fasterxml.jackson.databind.ObjectMapper()
                    .writerWithDefaultPrettyPrinter().writeValueAsString(m), conf);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int threadsPerTask(JavaSparkContext sc, TrainSettings settings) {
        return settings.threadsPerTask(sc.master(), sc.getConf().getInt("spark.task.cpus", 1));
    }

    private long evalWindows() {
        return (long) settings.evalBatches() * settings.batchSize();
    }

    private static boolean crossed(long before, long after, int every) {
        return every > 0 && after / every > before / every;
    }

    private RoundResult runRound(RunState state, int k) {
        RoundInput in = new RoundInput(state.step, k, state.params, state.optimizerState, state.cursors, state.history);
        int round = roundsRun++;
        List<List<String>> where = placementOf(round);
        int slots = settings.persistentTasks() ? gangSlots() : 0;
        if (slots > 0) {
            return gangRound(in, GangLayout.of(where, slots), round);
        }
        long start = System.nanoTime();
        Broadcast<RoundInput> b = sc.broadcast(in); // serialized and stored as blocks on the driver here
        lastBroadcastCreateSeconds = (System.nanoTime() - start) / 1e9;
        Broadcast<TrainPlan> shared = sharedPlan; // the closure captures two broadcast handles only
        try {
            return PlacedIndexes.of(sc, where)
                    .mapPartitionsWithIndex((p, it) -> PartitionTrainer.run(shared.value(), b, p), false)
                    .treeReduce(RoundResult::merge);
        } finally {
            b.destroy();
        }
    }

    /**
     * A round on the current gang of long-lived tasks, started (or restarted on a new layout) here.
     * A gang whose job failed (one task failed spark.task.maxFailures times over its rounds, which
     * may be the whole run) after completing rounds is replaced and the round rerun, as a job per
     * round would start over each round; one that fails before completing any round fails the run.
     */
    private RoundResult gangRound(RoundInput in, GangLayout layout, int round) {
        while (true) {
            if (gang != null && !gang.layout().equals(layout)) {
                stopGang();
            }
            if (gang == null) {
                sc.setJobDescription(String.format("train from step %d on %d long-lived task(s) for %d worker(s), %s",
                        in.step(), layout.tasks(), settings.workers(), runDir.getName()));
                try {
                    gang = WorkerGang.start(sc, sharedPlan, layout);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("starting long-lived training tasks at step " + in.step(), e);
                }
            }
            WorkerGang g = gang;
            try {
                RoundResult r = g.round(in, () -> gangFault.accept(round, g));
                lastBroadcastCreateSeconds = g.lastSerializeSeconds();
                return r;
            } catch (WorkerGang.Failed e) {
                boolean progressed = g.completedRounds() > 0;
                g.abort();
                gang = null;
                if (!progressed) {
                    throw e;
                }
                console.printf("warning: %s; restarting the long-lived tasks for step %d%n", e.getMessage(), in.step());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("training round at step " + in.step() + " on long-lived tasks", e);
            }
        }
    }

    /** Tests: runs after each gang round's input went out (round index, gang), e.g. to cut connections. */
    TrainDriver onGangRound(java.util.function.BiConsumer<Integer, WorkerGang> fault) {
        this.gangFault = fault;
        return this;
    }

    private void stopGang() {
        if (gang != null) {
            gang.close();
            gang = null;
        }
    }

    /**
     * Task slots for a gang (each task holds one until the gang stops), or 0 for a round as its own
     * job: train.persistent_tasks off, speculation on (a speculative copy of a long-lived task would
     * never end), or no executor registered yet (Spark's job waits for them; later rounds take a gang).
     */
    private int gangSlots() {
        return sc.getConf().getBoolean("spark.speculation", false) ? 0 : TaskSlots.now(sc);
    }

    /**
     * Each worker partition's preferred locations in round {@code round}: where {@link #placement}
     * says, else none (Spark chooses, what parallelize gives).
     */
    private List<List<String>> placementOf(int round) {
        int workers = settings.workers();
        List<List<String>> where = placement == null ? Collections.nCopies(workers, List.of())
                : placement.locations(round, workers);
        if (where.size() != workers) {
            throw new IllegalStateException("task placement of round " + round + ": expected " + workers
                    + " location lists (train.workers), found " + where.size());
        }
        return where;
    }

    /**
     * Where a round's wall time went (metrics.jsonl keys): {@code broadcast_seconds} = creating the
     * broadcast on the driver (on a gang: serializing the round's input) + the slowest fetch on a
     * worker (on a gang: receiving and deserializing it); {@code local_seconds} = the slowest
     * worker's local steps and {@code local_cpu_seconds} its task thread's CPU time in them (less when
     * the thread waited for a core or for its helper threads); {@code replica_seconds} = the slowest
     * worker's replica build (or, on a gang after its first round, reload) and state load (part of
     * the task, outside the local steps); {@code aggregate_seconds} = the rest after the slowest
     * task: task launch (on a gang: sending the input), result serialization and transfer, the sum
     * on the driver;
     * {@code overhead_seconds} = everything but the local steps (what averaging costs per round);
     * {@code driver_seconds} = the driver's work between the previous round's job and this one
     * (averaging, logging, validation, checkpoints; 0 for a process's first round), outside
     * {@code round_seconds}; {@code round_executors} = how many executors ran the round's tasks.
     */
    private static void putRoundTimes(Map<String, Object> m, RoundResult r, double roundSeconds,
            double broadcastCreateSeconds, double driverSeconds) {
        m.put("round_seconds", roundSeconds);
        m.put("broadcast_seconds", broadcastCreateSeconds + r.fetchSeconds);
        m.put("local_seconds", r.stepSeconds);
        m.put("local_cpu_seconds", r.stepCpuSeconds);
        m.put("replica_seconds", r.replicaSeconds);
        m.put("aggregate_seconds", Math.max(0, roundSeconds - broadcastCreateSeconds - r.taskSeconds));
        m.put("overhead_seconds", Math.max(0, roundSeconds - r.stepSeconds));
        m.put("driver_seconds", driverSeconds);
        m.put("round_executors", r.executors.size());
    }

    private Map<String, Object> stepRecord(long step, RoundResult r, int j, double tokPerS, long roundStart, int k) {
        Map<String, Object> m = new LinkedHashMap<>();
        double ce = r.ceLoss[j] / r.stepTokens[j]; // exact means over every token of the step
        m.put("step", step);
        m.put("loss", ce);
        m.put("ppl", Math.exp(ce));
        m.put("aux_loss", r.auxLoss[j] / r.stepTokens[j]);
        m.put("lr", r.lr[j]);
        m.put("grad_norm", r.gradNorm[j] / r.replicas);
        m.put("tokens_per_s", tokPerS);
        m.put("tokens_seen", step * (long) settings.batchSize() * settings.seqLen() * settings.workers());
        m.put("round_start_step", roundStart);
        m.put("local_steps", k);
        return m;
    }

    private void progress(long step, double loss, double lr, double tokPerS, double elapsed, long stepsThisRun,
            double roundSeconds) {
        double perStep = elapsed / Math.max(1, stepsThisRun);
        long eta = Math.round(perStep * (settings.steps() - step));
        console.printf("step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  round %.2fs  ETA %dm%02ds%n", step, settings.steps(),
                loss, lr, tokPerS, roundSeconds, eta / 60, eta % 60);
    }

    private void checkCompatible(Manifest m) {
        if (modelConfig.vocabSize() < m.vocabSize()) {
            throw new IllegalArgumentException("model.vocab_size: expected >= the data's vocabulary " + m.vocabSize()
                    + " (" + settings.dataPath() + "), found " + modelConfig.vocabSize());
        }
        if (settings.seqLen() > m.seqLen()) {
            throw new IllegalArgumentException("train.seq_len: expected <= the data's seq_len " + m.seqLen() + " ("
                    + settings.dataPath() + "), found " + settings.seqLen());
        }
        if (settings.seqLen() > modelConfig.contextLength()) {
            throw new IllegalArgumentException("train.seq_len: expected <= model.context_length "
                    + modelConfig.contextLength() + ", found " + settings.seqLen());
        }
    }

    private RunState resumeOrStart(CheckpointStore store, LanguageModel reference, ShardDataset data) {
        Optional<CheckpointData> latest = store.loadLatest(w -> console.println("warning: " + w));
        if (latest.isPresent()) {
            CheckpointData c = latest.get();
            Object savedModel = RunState.configOf(c).get("model");
            if (!ModelConfig.fromMap(castMap(savedModel)).equals(modelConfig)) {
                throw new IllegalArgumentException("run dir " + runDir + " holds a checkpoint (step " + c.step()
                        + ") of a different model: expected model " + savedModel + ", found " + modelConfig.toMap());
            }
            RunState s = RunState.fromCheckpoint(c);
            if (s.cursors.isEmpty()) { // written by `ponder init`, before any data was assigned
                s.cursors = startCursors(data);
            }
            if (s.cursors.size() != settings.workers()) {
                throw new IllegalArgumentException("train.workers: the checkpoint at step " + c.step() + " was written by "
                        + s.cursors.size() + " workers, found " + settings.workers());
            }
            if (s.params.length != reference.params().size()) {
                throw new IllegalStateException("checkpoint step " + c.step() + ": expected " + reference.params().size()
                        + " parameters, found " + s.params.length);
            }
            if (s.history == null) {
                s.history = historyFor(modelConfig);   // a `ponder init` checkpoint, or written before any round
            }
            console.printf("resuming %s from step %d%n", runDir, c.step());
            return s;
        }
        console.printf("starting %s: %s model, %d parameters, %d workers x batch %d x %d tokens%n", runDir,
                modelConfig.family(), reference.params().size(), settings.workers(), settings.batchSize(),
                settings.seqLen());
        return freshState(reference, startCursors(data));
    }

    private RunState freshState(LanguageModel reference, List<Cursor> cursors) {
        LocalTrainer fresh = new LocalTrainer(reference, settings.adam(), settings.schedule(), settings.gradClip());
        RunState s = new RunState(0, reference.params().paramsToArray(), new float[fresh.optimizerStateSize()], cursors);
        s.history = historyFor(modelConfig);
        return s;
    }

    /** The empty per-window state of a fresh run: SHARCS's confidence history, null for other families. */
    static dev.ponder.core.width.ConfidenceHistory historyFor(ModelConfig c) {
        return c.sharcs() == null ? null : new dev.ponder.core.width.ConfidenceHistory(c.sharcs().history());
    }

    private List<Cursor> startCursors(ShardDataset data) {
        List<Cursor> cursors = new ArrayList<>();
        for (int p = 0; p < settings.workers(); p++) {
            cursors.add(WindowStream.startOf(data, Manifest.TRAIN, p));
        }
        return cursors;
    }

    /** `ponder init`: a committed step-0 checkpoint of the freshly initialised model in the run dir. */
    public Path writeInitialCheckpoint() {
        CheckpointStore store = new CheckpointStore(runDir, conf);
        if (!store.committedSteps().isEmpty()) {
            throw new IllegalArgumentException("--out " + runDir + ": already holds checkpoints (steps "
                    + store.committedSteps() + "); expected an empty run directory");
        }
        LanguageModel model = ModelFactory.create(modelConfig, settings.seed());
        RunState s = freshState(model, List.of());
        HadoopFiles.writeString(new Path(runDir, "config.json"), config.toJson(), conf);
        return store.write(s.toCheckpoint(config.nested(), Provenance.describe(sc.version(), sc.master()),
                model.params().specs()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        if (!(o instanceof Map)) {
            throw new IllegalStateException("checkpoint config has no model section");
        }
        return (Map<String, Object>) o;
    }
}
