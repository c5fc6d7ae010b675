package dev.ponder.spark.cli;

import dev.ponder.core.bench.WidthStepBench;
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
 * {@code ponder bench width}: wall-clock per step against FLOPs per token of each SHARCS width, side
 * by side in one process (widths interleaved, medians), see {@link WidthStepBench}.
 */
@Command(name = "width", mixinStandardHelpOptions = true,
        description = "SHARCS: training step and inference time per width against FLOPs per token (train.workers "
                + "replicas side by side as in training, no Spark, random tokens); last line min_train_ratio=X "
                + "min_inference_ratio=Y (realised speed-up over FLOP reduction, the worst width).")
final class BenchWidth implements Callable<Integer> {
    @ParentCommand
    BenchCommand bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "run configuration YAML of a sharcs model")
    String config;

    @Option(names = "--rounds", defaultValue = "15", description = "timed rounds (each times every width once); "
            + "default ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed rounds first; default ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--workers", description = "replicas stepping side by side, each on cores / workers threads "
            + "(default: the config's train.workers, the layout its training runs in: local[2] with 2 workers runs "
            + "two one-thread tasks); 1: one replica on all cores")
    Integer workers;

    @Option(names = "--set", description = "override KEY=VALUE (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        ResolvedConfig cfg = RunConfigs.load(config, overrides, LoadedCheckpoint.hadoopConf(bench.parent.sparkConf()));
        ModelConfig model = ModelConfig.fromMap(cfg.section("model"));
        if (!model.family().equals("sharcs")) {
            throw new IllegalArgumentException("--config " + config + ": expected model.family sharcs, found "
                    + model.family());
        }
        if (rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--rounds and --warmup: expected >= 1 and >= 0, found " + rounds
                    + " and " + warmup);
        }
        String omp = System.getenv("OMP_NUM_THREADS");
        int threads = omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim());
        int n = workers != null ? workers : cfg.getInt("train.workers");
        if (n < 1 || n > threads) {
            throw new IllegalArgumentException("--workers: expected 1.." + threads + " (one thread each at least), found "
                    + n + (workers == null ? " (train.workers of " + config + ")" : ""));
        }
        int perWorker = threads / n;
        int batch = cfg.getInt("train.batch_size");
        int seqLen = cfg.getInt("train.seq_len");
        WidthStepBench.Result r = WidthStepBench.run(model, batch, seqLen, warmup, rounds, cfg.getLong("seed"), n,
                perWorker);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "bench width: %s, %d parameters, %d worker(s) x %d thread(s), batch %d x %d tokens "
                + "per worker, medians of %d interleaved rounds%n", config, r.parameters(), n, perWorker, batch, seqLen,
                rounds);
        out.printf(Locale.ROOT, "%-6s %9s %7s %9s %8s %8s %9s %9s %9s %8s %14s%n", "width", "fwd MF/tok",
                "head", "FLOP red.", "step ms", "model ms", "optim ms", "cpu ms", "infer ms", "ratio",
                "speed-up s/m/c/i");
        double minTrain = Double.MAX_VALUE;
        double minInfer = Double.MAX_VALUE;
        for (WidthStepBench.Row row : r.rows()) {
            WidthStepBench.Times t = row.times();
            WidthStepBench.Times u = row.speedup();
            out.printf(Locale.ROOT, "%-6s %10.3f %7.3f %8.2fx %8.1f %8.1f %9.1f %9.1f %9.1f %8.2f %4.2f/%4.2f/%4.2f/%4.2f%n",
                    dev.ponder.core.width.Width.label(row.width()), row.forwardFlopsPerToken() / 1e6,
                    row.headFlopsPerToken() / 1e6, row.flopReduction(), t.step() * 1e3, t.model() * 1e3,
                    t.optimizer() * 1e3, t.stepCpu() * 1e3, t.inference() * 1e3, row.trainRatio(), u.step(),
                    u.model(), u.stepCpu(), u.inference());
            if (row.width() < 1.0) {
                minTrain = Math.min(minTrain, row.trainRatio());
                minInfer = Math.min(minInfer, row.inferenceRatio());
            }
        }
        out.println("ratio = step speed-up / FLOP reduction; speed-ups over full width of the step (s), its model "
                + "forward+backward (m), its process CPU time (c) and inference (i)");
        StringBuilder best = new StringBuilder("fastest step of the rounds:");
        for (WidthStepBench.Row row : r.rows()) {
            best.append(String.format(Locale.ROOT, " %s %.1f ms (ratio %.2f)", dev.ponder.core.width.Width.label(row.width()),
                    row.times().bestStep() * 1e3, row.speedup().bestStep() / row.flopReduction()));
        }
        out.println(best);
        out.printf(Locale.ROOT, "min_train_ratio=%.3f min_inference_ratio=%.3f%n", minTrain, minInfer);
        return 0;
    }
}
