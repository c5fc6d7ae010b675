package dev.ponder.spark.cli;

import dev.ponder.core.bench.HaltingBench;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ponder bench halting}: forward passes of one SUT at several halting thresholds, measured
 * side by side in one process (thresholds interleaved round by round, medians), to check that the
 * wall-clock time falls with the executed FLOPs when halting skips work. No Spark.
 */
@Command(name = "halting", mixinStandardHelpOptions = true,
        description = "SUT forward time vs executed FLOPs per halting threshold: table tau, mean depth, FLOPs/token, "
                + "ms/forward; last line halving: tau=X depth=A->B flops_fall=F time_fall=T ratio=R (time fall / FLOPs "
                + "fall, whole forward, ratio of medians) paired_ratio=P (median of same-round time ratios) "
                + "steps_ratio=S (layer steps only) cpu_ratio=C (process CPU time).")
final class BenchHalting implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "run configuration YAML of a sut model (conf/model/sut-tiny.yaml); "
            + "batch and sequence length from train.*")
    String config;

    @Option(names = "--checkpoint", description = "measure a trained model instead (its run dir or step dir); its "
            + "halting gate is used as trained")
    String checkpoint;

    @Option(names = "--tau", split = ",", description = "thresholds to compare (default: 1, the model's, and the one "
            + "that halves the mean depth)")
    List<Double> taus = new ArrayList<>();

    @Option(names = "--rounds", defaultValue = "21", description = "timed forwards per threshold; default ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed rounds first; default ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--gate-scale", defaultValue = "1.0", description = "without --checkpoint: std of the halting "
            + "gate's last layer, drawn so that depth varies per token (a fresh gate halts every token at one step); "
            + "default ${DEFAULT-VALUE}")
    double gateScale;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        if ((config == null) == (checkpoint == null)) {
            throw new IllegalArgumentException("bench halting: expected one of --config or --checkpoint");
        }
        if (rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--rounds, --warmup: expected >= 1 and >= 0, found " + rounds + ", " + warmup);
        }
        ResolvedConfig cfg;
        float[] params;
        ModelConfig model;
        long seed;
        if (checkpoint != null) {
            LoadedCheckpoint c = LoadedCheckpoint.open(checkpoint, overrides,
                    LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
            cfg = c.config();
            model = ModelConfig.fromMap(cfg.section("model"));
            seed = cfg.getLong("seed");
            params = c.model().params().paramsToArray();
        } else {
            cfg = RunConfigs.load(config, overrides, LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
            model = ModelConfig.fromMap(cfg.section("model"));
            seed = cfg.getLong("seed");
            params = null;
        }
        if (!model.family().equals("sut")) {
            throw new IllegalArgumentException("model.family: expected sut (bench halting), found " + model.family());
        }
        String omp = System.getenv("OMP_NUM_THREADS");
        int threads = omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim());
        dev.ponder.core.train.ComputeThreads.apply(threads);
        params = HaltingBench.parameters(model, params, checkpoint == null ? gateScale : 0.0, seed);
        int batch = cfg.getInt("train.batch_size");
        int seqLen = cfg.getInt("train.seq_len");
        int[] tokens = HaltingBench.tokens(model.vocabSize(), batch, seqLen, seed + 1);
        PrintWriter out = spec.commandLine().getOut();
        double[] t;
        double half = Double.NaN;
        if (taus.isEmpty()) {
            half = HaltingBench.tauForDepth(model, params, model.nLayers() / 2.0, tokens, batch, seqLen, seed);
            t = new double[] {1.0, model.sut().haltingThreshold(), half};
        } else {
            t = taus.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            t = reverse(t);                                                   // the largest tau is the baseline
        }
        out.printf("bench halting: %s, %d threads, batch %d x %d tokens, %d steps, %s; %d rounds after %d warm-up%n",
                checkpoint != null ? checkpoint : config, threads, batch, seqLen, model.nLayers(),
                checkpoint != null ? "trained gate" : "gate's last layer ~ N(0, " + gateScale + "^2)", rounds, warmup);
        HaltingBench.Result r = HaltingBench.run(model, params, t, tokens, batch, seqLen, warmup, rounds, seed);
        HaltingBench.table(r).forEach(out::println);
        int last = r.rows().size() - 1;
        HaltingBench.Row b = r.rows().get(0);
        HaltingBench.Row l = r.rows().get(last);
        out.printf(java.util.Locale.ROOT, "%s: tau=%.4f depth=%.2f->%.2f flops_fall=%.3f time_fall=%.3f ratio=%.2f "
                        + "paired_ratio=%.2f steps_ratio=%.2f cpu_ratio=%.2f%n", Double.isNaN(half) ? "lowest" : "halving",
                l.tau(), b.meanDepth(), l.meanDepth(), 1 - l.forwardFlopsPerToken() / b.forwardFlopsPerToken(),
                1 - l.msPerForward() / b.msPerForward(), r.timeOverFlopsFall(last), r.pairedTimeOverFlopsFall(last),
                r.stepTimeOverFlopsFall(last), r.cpuOverFlopsFall(last));
        return 0;
    }

    private static double[] reverse(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }
}
