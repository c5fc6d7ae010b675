package dev.ponder.spark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Train.class, BenchPrep.class, BenchScaling.class, BenchDevice.class,
                BenchHalting.class, BenchCapacity.class, BenchWidth.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.ParentCommand
    PonderCli parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing benchmark (try: bench train --help)");
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Training throughput of one replica (no Spark, random tokens); last line "
                    + "tokens_per_s=X mfu=Y peak_gflops=Z.")
    static final class Train implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchCommand bench;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--config", required = true, description = "run configuration YAML (model and train sections)")
        String config;

        @Option(names = "--steps", defaultValue = "20", description = "timed steps (median reported); default ${DEFAULT-VALUE}")
        int steps;

        @Option(names = "--warmup", defaultValue = "3", description = "untimed steps first; default ${DEFAULT-VALUE}")
        int warmup;

        @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() {
            dev.ponder.spark.config.ResolvedConfig cfg = RunConfigs.load(config, overrides,
                    LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
            dev.ponder.core.model.ModelConfig model = dev.ponder.core.model.ModelConfig.fromMap(cfg.section("model"));
            String omp = System.getenv("OMP_NUM_THREADS");
            int threads = omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim());
            dev.ponder.core.train.ComputeThreads.apply(threads);
            dev.ponder.core.bench.DenseStepBench.Result r = dev.ponder.core.bench.DenseStepBench.run(model,
                    cfg.getInt("train.batch_size"), cfg.getInt("train.seq_len"), warmup, steps, cfg.getLong("seed"));
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.printf("bench train: %s, %s, %d threads, batch %d x %d tokens%n", config, model.family(), threads,
                    cfg.getInt("train.batch_size"), cfg.getInt("train.seq_len"));
            out.printf("step %.1f ms (best of %d): %.0f tokens/s, %.1f GFLOP/s of %.1f GFLOP/s SGEMM peak%n",
                    r.stepSeconds() * 1e3, steps, r.tokensPerSecond(), r.achievedGflops(), r.peakGflops());
            out.printf("matmuls %.1f ms in %d calls (%.1f GFLOP/s), outside matmuls %.1f ms; optimizer %.1f ms; "
                    + "%d ND4J ops per step%n", r.matmulSeconds() * 1e3, r.matmulCalls(), r.matmulGflops(),
                    r.outsideMatmulSeconds() * 1e3, r.optimizerSeconds() * 1e3, r.ndOpsPerStep());
            out.printf("tokens_per_s=%.1f mfu=%.3f peak_gflops=%.1f%n", r.tokensPerSecond(), r.mfu(), r.peakGflops());
            return 0;
        }
    }
}
