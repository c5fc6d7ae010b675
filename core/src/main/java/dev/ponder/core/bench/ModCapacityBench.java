package dev.ponder.core.bench;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.GradClip;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Wall-clock per training step against FLOPs per token for Mixture-of-Depths at several capacities
 * (and optionally the wrapped family without MoD), measured side by side in one process: one model
 * per variant, the variants' steps interleaved round by round (the starting variant rotates), and
 * medians over rounds, so a burst of other work on a shared machine hits every variant alike.
 * Each variant runs on its own thread, as a Spark task would: ND4J's step workspace is per thread
 * and sizes itself on its first step, so variants sharing a thread would share one arena sized
 * for whichever came first and the larger ones would spill to fresh memory on every step
 * (measured: MoD around MoEUT at capacity 0.25 then ran slower than at 1.0).
 *
 * <p>A step is what training runs: zero grads, forward and backward on random tokens, clip, AdamW.
 * FLOPs per token are training FLOPs, 6 x (forward MACs + head MACs), from the analytic count of
 * MODELS.md section 6 (routed blocks at their capacity, routers and predictors included). The
 * speed-up of a capacity is the full-capacity (1.0) variant's median step time over its own; the
 * FLOP reduction is the full-capacity variant's FLOPs per token over its own; efficiency is
 * speed-up / reduction (1 = every FLOP saved is time saved).
 */
public final class ModCapacityBench {
    private ModCapacityBench() {}

    /**
     * One variant's medians: step, of it the model (zero grads, forward, backward), and process CPU;
     * and its fastest step (the least disturbed one on a shared machine).
     */
    public record Row(String label, double capacity, double trainingFlopsPerToken, double stepSeconds,
                      double modelSeconds, double cpuSeconds, double bestStepSeconds) {
        public double tokensPerSecond(int tokens) {
            return tokens / stepSeconds;
        }
    }

    /**
     * @param config     a family mod configuration (its mod_capacity is replaced per variant)
     * @param capacities the capacities to compare; 1.0 is added when missing (the reference)
     * @param withWrapped also time the wrapped family without MoD (label = the block kind)
     */
    public static List<Row> run(ModelConfig config, double[] capacities, boolean withWrapped, int batch, int seqLen,
                                int warmup, int rounds, long seed) {
        if (!config.family().equals("mod")) {
            throw new IllegalArgumentException("bench capacity: expected a model.family mod config, found "
                    + config.family());
        }
        if (rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("bench capacity: expected rounds >= 1 and warmup >= 0, found "
                    + rounds + " and " + warmup);
        }
        double[] caps = Arrays.stream(capacities).sorted().distinct().toArray();
        if (caps[caps.length - 1] != 1.0) {
            caps = Arrays.copyOf(caps, caps.length + 1);
            caps[caps.length - 1] = 1.0;
        }
        List<String> labels = new ArrayList<>();
        List<ModelConfig> configs = new ArrayList<>();
        for (double c : caps) {
            labels.add("mod " + c);
            configs.add(config.toBuilder().mod(config.mod().withCapacity(c)).build());
        }
        if (withWrapped) {
            labels.add(config.blockKind());
            configs.add(config.toBuilder().family(config.blockKind()).mod(null).build());
        }
        int v = configs.size();
        ExecutorService[] threads = new ExecutorService[v];
        try {
            LanguageModel[] models = new LanguageModel[v];
            AdamW[] opts = new AdamW[v];
            for (int i = 0; i < v; i++) {
                threads[i] = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "bench-capacity");
                    t.setDaemon(true);
                    return t;
                });
                models[i] = ModelFactory.create(configs.get(i), seed);
                opts[i] = new AdamW(models[i].params(), AdamW.Config.defaults());
            }
            return measure(models, opts, threads, labels, caps, batch, seqLen, warmup, rounds, seed);
        } finally {
            for (ExecutorService t : threads) {
                if (t != null) {
                    t.shutdownNow();
                }
            }
        }
    }

    private static List<Row> measure(LanguageModel[] models, AdamW[] opts, ExecutorService[] threads,
                                     List<String> labels, double[] caps, int batch, int seqLen, int warmup,
                                     int rounds, long seed) {
        int v = models.length;
        int[] tokens = new int[batch * (seqLen + 1)];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(models[0].config().vocabSize());
        }
        for (int w = 0; w < Math.max(1, warmup); w++) {                    // >= 1: each arena learns its size
            for (int i = 0; i < v; i++) {
                onThread(threads[i], models[i], opts[i], tokens, batch, seqLen);
            }
        }
        double[][] step = new double[v][rounds];
        double[][] model = new double[v][rounds];
        double[][] cpu = new double[v][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int j = 0; j < v; j++) {
                int i = (round + j) % v;                                   // rotate who goes first
                double[] t = onThread(threads[i], models[i], opts[i], tokens, batch, seqLen);
                step[i][round] = t[0];
                model[i][round] = t[1];
                cpu[i][round] = t[2];
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < v; i++) {
            double cap = i < caps.length ? caps[i] : Double.NaN;
            rows.add(new Row(labels.get(i), cap, models[i].trainingFlopsPerToken(seqLen), median(step[i]),
                    median(model[i]), median(cpu[i]), Arrays.stream(step[i]).min().orElseThrow()));
        }
        return rows;
    }

    /** One step on the variant's own thread, the caller waiting (variants never overlap). */
    private static double[] onThread(ExecutorService thread, LanguageModel m, AdamW opt, int[] tokens, int batch,
                                     int seqLen) {
        return WorkerThreads.join(thread.submit(() -> step(m, opt, tokens, batch, seqLen)), "bench capacity");
    }

    /** {step seconds, model seconds (zero grads + forward + backward), process CPU seconds}. */
    private static double[] step(LanguageModel m, AdamW opt, int[] tokens, int batch, int seqLen) {
        long c0 = PhaseTimer.processCpuNanos();
        long t0 = System.nanoTime();
        m.params().zeroGrads();
        m.forwardBackward(tokens, batch, seqLen + 1);
        long t1 = System.nanoTime();
        opt.step(1e-4, GradClip.scale(GradClip.globalNorm(m.params().grads()), 1.0));
        long t2 = System.nanoTime();
        m.drainRoutingStats();                                             // a bench keeps no statistics
        m.drainComputeHistograms();
        return new double[] {(t2 - t0) / 1e9, (t1 - t0) / 1e9, (PhaseTimer.processCpuNanos() - c0) / 1e9};
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    /** The full-capacity row (the reference of speed-ups and FLOP reductions). */
    public static Row reference(List<Row> rows) {
        return rows.stream().filter(r -> r.capacity() == 1.0).findFirst().orElseThrow();
    }
}
