package dev.ponder.spark.cli;

import dev.ponder.core.bench.ModCapacityBench;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.spark.config.ResolvedConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ponder bench capacity}: Mixture-of-Depths training-step time against FLOPs per token at
 * several capacities, side by side in one process ({@link ModCapacityBench}: interleaved rounds,
 * medians). One replica, no Spark, random tokens.
 */
@Command(name = "capacity", mixinStandardHelpOptions = true,
        description = "MoD wall-clock per training step vs FLOPs per token per capacity (interleaved, medians); "
                + "one line per capacity: capacity=C step_ms=X flops_per_token=F flop_reduction=R speedup=S "
                + "efficiency=E best_step_ms=B efficiency_best=EB, last line min_efficiency=E (efficiency = speed-up / "
                + "FLOP reduction vs capacity 1, from medians; _best from each variant's fastest step).")
final class BenchCapacity implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "a model.family mod run configuration "
            + "(conf/model/mod-tiny.yaml)")
    String config;

    @Option(names = "--capacity", split = ",", description = "capacities to compare (repeatable or comma-separated; "
            + "1.0 is always added as the reference); default 0.125,0.25,0.5,1.0")
    List<Double> capacities = new ArrayList<>(List.of(0.125, 0.25, 0.5, 1.0));

    @Option(names = "--rounds", defaultValue = "12", description = "timed rounds (one step of every variant each); "
            + "default ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed rounds first; default ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--skip-wrapped", description = "leave out the wrapped family without MoD (the dense control)")
    boolean skipWrapped;

    @Option(names = "--require", defaultValue = "0", description = "exit 1 when min_efficiency is below this "
            + "(e.g. 0.8; default ${DEFAULT-VALUE}: never)")
    double require;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        ResolvedConfig cfg = RunConfigs.load(config, overrides, LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
        ModelConfig model = ModelConfig.fromMap(cfg.section("model"));
        if (!model.family().equals("mod")) {
            throw new IllegalArgumentException("--config: expected model.family mod, found " + model.family());
        }
        String omp = System.getenv("OMP_NUM_THREADS");
        int threads = omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim());
        dev.ponder.core.train.ComputeThreads.apply(threads);
        int batch = cfg.getInt("train.batch_size");
        int seq = cfg.getInt("train.seq_len");
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "bench capacity: %s, MoD around %s blocks (every %d of %d routed), %d threads, batch %d x "
                        + "%d tokens, %d warmup + %d timed rounds interleaved, medians; load average %s%n", config,
                model.blockKind(), model.mod().every(), model.nLayers(), threads, batch, seq, warmup, rounds,
                BenchScaling.loadAverage());
        out.flush();
        List<ModCapacityBench.Row> rows = ModCapacityBench.run(model,
                capacities.stream().mapToDouble(Double::doubleValue).toArray(), !skipWrapped, batch, seq, warmup,
                rounds, cfg.getLong("seed"));
        ModCapacityBench.Row ref = ModCapacityBench.reference(rows);
        out.printf(Locale.ROOT, "%-10s %12s %9s %9s %9s %9s %10s %9s %8s %10s %9s%n", "variant", "MFLOP/token",
                "step_ms", "model_ms", "cpu_ms", "best_ms", "tokens/s", "flops_red", "speedup", "efficiency",
                "eff_best");
        double minEfficiency = Double.MAX_VALUE;
        for (ModCapacityBench.Row r : rows) {
            double reduction = ref.trainingFlopsPerToken() / r.trainingFlopsPerToken();
            double speedup = ref.stepSeconds() / r.stepSeconds();
            double bestSpeedup = ref.bestStepSeconds() / r.bestStepSeconds();
            out.printf(Locale.ROOT, "%-10s %12.2f %9.1f %9.1f %9.1f %9.1f %10.0f %9.3f %8.3f %10.3f %9.3f%n", r.label(),
                    r.trainingFlopsPerToken() / 1e6, r.stepSeconds() * 1e3, r.modelSeconds() * 1e3,
                    r.cpuSeconds() * 1e3, r.bestStepSeconds() * 1e3, r.tokensPerSecond(batch * seq), reduction, speedup,
                    speedup / reduction, bestSpeedup / reduction);
        }
        for (ModCapacityBench.Row r : rows) {
            if (Double.isNaN(r.capacity())) {
                continue;
            }
            double reduction = ref.trainingFlopsPerToken() / r.trainingFlopsPerToken();
            double speedup = ref.stepSeconds() / r.stepSeconds();
            minEfficiency = Math.min(minEfficiency, speedup / reduction);
            out.printf(Locale.ROOT, "capacity=%s step_ms=%.2f flops_per_token=%.4e flop_reduction=%.3f speedup=%.3f "
                            + "efficiency=%.3f best_step_ms=%.2f efficiency_best=%.3f%n", r.capacity(),
                    r.stepSeconds() * 1e3, r.trainingFlopsPerToken(), reduction, speedup, speedup / reduction,
                    r.bestStepSeconds() * 1e3, ref.bestStepSeconds() / r.bestStepSeconds() / reduction);
        }
        out.printf(Locale.ROOT, "min_efficiency=%.3f%n", minEfficiency);
        return minEfficiency < require ? 1 : 0;
    }
}
