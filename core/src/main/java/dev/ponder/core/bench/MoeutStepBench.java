package dev.ponder.core.bench;

import dev.ponder.core.Backend;
import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.model.MoeutSettings;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.GradClip;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times MoEUT training steps like {@link DenseStepBench} (whose timing and MFU it reuses) and then
 * splits one step into phases with a {@link PhaseTimer}: router (logit gemms, host top-k, router
 * backward), sort (dispatch plans), gather and combine (row movement), expert_gemm (the per-expert
 * matmuls), expert_elementwise (activations, gate scaling, gate-gradient row dots), attention_proj
 * (q/k projections, permutes, RoPE), attention_core (scores, softmax, values), regularizer,
 * layernorm_residual, lm_head, embedding; "other" is the rest (optimizer, clipping, allocation).
 *
 * <p>Usage: {@code MoeutStepBench [--steps N] [--warmup N] [--batch B] [--seq T] [--ff-experts E]
 * [--ff-k K] [--ff-size M] [--att-experts E] [--layers L] [--dense]}; defaults are
 * conf/bench/moeut-tiny.yaml (vocab 8192, d 256, 8 layers in groups of 2, 4 heads of 64, att E 4 k 2,
 * FFN E 64 m 64 k 8, T 256, B 16); {@code --dense} runs dense-tiny through the same harness for a
 * side-by-side. Run with OMP_NUM_THREADS set (and OMP_WAIT_POLICY=PASSIVE on a shared machine).
 */
public final class MoeutStepBench {
    private MoeutStepBench() {}

    /**
     * Seconds per phase of one instrumented training step, the step's wall time and the CPU time
     * of all of the process's threads during it (load-independent: other jobs on a shared machine
     * stretch the wall time, not this).
     */
    public record Breakdown(double stepSeconds, double cpuSeconds, Map<String, Double> phases,
                            Map<String, Double> phaseCpuSeconds) {}

    /** One instrumented step (after {@code warmup} plain ones) of a fresh model. */
    public static Breakdown breakdown(ModelConfig config, int batch, int seqLen, int warmup, long seed) {
        LanguageModel model = ModelFactory.create(config, seed);
        AdamW opt = new AdamW(model.params(), AdamW.Config.defaults());
        int[] tokens = new int[batch * (seqLen + 1)];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(config.vocabSize());
        }
        Breakdown best = null;
        for (int i = 0; i < warmup + 3; i++) {
            PhaseTimer timer = new PhaseTimer();
            PhaseTimer.install(i >= warmup ? timer : null);
            long c0 = processCpuNanos();
            long t0 = System.nanoTime();
            model.params().zeroGrads();
            model.forwardBackward(tokens, batch, seqLen + 1);
            long t1 = PhaseTimer.start();
            opt.step(1e-4, GradClip.scale(GradClip.globalNorm(model.params().grads()), 0.1));
            PhaseTimer.stop("optimizer_clip", t1);
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (processCpuNanos() - c0) / 1e9;
            PhaseTimer.install(null);
            if (i >= warmup && (best == null || s < best.stepSeconds())) {
                best = new Breakdown(s, cpu, timer.seconds(), timer.cpuSeconds());
            }
        }
        return best;
    }

    static long processCpuNanos() {
        return PhaseTimer.processCpuNanos();
    }

    public static void main(String[] args) {
        Backend.init();
        int batch = 16;
        int seq = 256;
        int steps = 5;
        int warmup = 2;
        int layers = 8;
        int ffE = 64;
        int ffK = 8;
        int ffM = 64;
        int attE = 4;
        boolean dense = java.util.Arrays.asList(args).contains("--dense");
        args = java.util.Arrays.stream(args).filter(a -> !a.equals("--dense")).toArray(String[]::new);
        for (int i = 0; i + 1 < args.length; i += 2) {
            int v = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--steps" -> steps = v;
                case "--warmup" -> warmup = v;
                case "--batch" -> batch = v;
                case "--seq" -> seq = v;
                case "--layers" -> layers = v;
                case "--ff-experts" -> ffE = v;
                case "--ff-k" -> ffK = v;
                case "--ff-size" -> ffM = v;
                case "--att-experts" -> attE = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ModelConfig config = dense
                ? ModelConfig.builder().family("dense").vocabSize(8192).dModel(256).nLayers(layers).nHeads(4).dHead(64)
                        .dFf(1024).contextLength(Math.max(256, seq)).build()
                : ModelConfig.builder().family("moeut").vocabSize(8192).dModel(256).nLayers(layers)
                        .nHeads(4).dHead(64).contextLength(Math.max(256, seq))
                        .moeut(new MoeutSettings(2, ffE, ffM, ffK, attE, 2, 0.01, 0.001, 0, 0, 0)).build();
        System.out.println("backend: " + Backend.describe());
        System.out.println("config: " + config.toMap() + " batch=" + batch + " seq=" + seq);
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        DenseStepBench.Result res = DenseStepBench.run(config, batch, seq, warmup, steps, 1234);
        double cpuShare = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
        System.out.printf(Locale.ROOT, "step: best %.3f s, median %.3f s of %d (first step %.1f s); %d tokens,"
                        + " %.1f GFLOP/step (6 x analytic incl. head), achieved %.1f GFLOP/s%n", res.stepSeconds(),
                res.medianStepSeconds(), steps, res.firstStepSeconds(), res.tokensPerStep(), res.flopsPerStep() / 1e9,
                res.achievedGflops());
        System.out.printf(Locale.ROOT, "best step: matmuls %d calls, %.3f s, %.1f GFLOP/s inside matmuls; outside %.3f s;"
                        + " nd4j ops/step: %d%n", res.matmulCalls(), res.matmulSeconds(), res.matmulGflops(),
                res.outsideMatmulSeconds(), res.ndOpsPerStep());
        Breakdown b = breakdown(config, batch, seq, 1, 99);
        for (String id : new String[] {dev.ponder.core.tensor.StepWorkspace.ID, dev.ponder.core.tensor.StepWorkspace.SCRATCH_ID}) {
            if (org.nd4j.linalg.factory.Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
                System.out.printf(Locale.ROOT, "workspace %s: %.0f MB%n", id, org.nd4j.linalg.factory.Nd4j
                        .getWorkspaceManager().getWorkspaceForCurrentThread(id).getCurrentSize() / 1e6);
            }
        }
        double accounted = 0;
        List<Map.Entry<String, Double>> phases = new ArrayList<>(b.phases().entrySet());
        phases.sort((x, y) -> Double.compare(y.getValue(), x.getValue()));
        double cpuAccounted = 0;
        System.out.printf(Locale.ROOT, "phases of one instrumented step (%.3f s wall, %.3f CPU-s):%n", b.stepSeconds(),
                b.cpuSeconds());
        for (Map.Entry<String, Double> e : phases) {
            double cpu = b.phaseCpuSeconds().get(e.getKey());
            accounted += e.getValue();
            cpuAccounted += cpu;
            System.out.printf(Locale.ROOT, "  %-20s %7.1f ms wall %5.1f%%   %7.1f ms CPU %5.1f%%%n", e.getKey(),
                    e.getValue() * 1e3, 100 * e.getValue() / b.stepSeconds(), cpu * 1e3, 100 * cpu / b.cpuSeconds());
        }
        System.out.printf(Locale.ROOT, "  %-20s %7.1f ms wall %5.1f%%   %7.1f ms CPU %5.1f%%%n", "other",
                (b.stepSeconds() - accounted) * 1e3, 100 * (b.stepSeconds() - accounted) / b.stepSeconds(),
                (b.cpuSeconds() - cpuAccounted) * 1e3, 100 * (b.cpuSeconds() - cpuAccounted) / b.cpuSeconds());
        System.out.printf(Locale.ROOT, "process CPU / wall over the timed run: %.2f cores (2 = both cores busy;"
                + " less means host-side serial work or a machine shared with other jobs)%n", cpuShare);
        int cores = Math.max(1, org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads());
        System.out.printf(Locale.ROOT, "instrumented step: %.3f s wall, %.3f CPU-s; on %d otherwise idle cores at"
                        + " most %.0f tokens/s (CPU-bound estimate: tokens / (CPU-s / cores))%n", b.stepSeconds(),
                b.cpuSeconds(), cores, res.tokensPerStep() / (b.cpuSeconds() / cores));
        System.out.printf(Locale.ROOT, "tokens_per_s=%.1f mfu=%.3f peak_gflops=%.1f%n",
                res.tokensPerSecond(), res.mfu(), res.peakGflops());
    }
}
