package dev.ponder.core.bench;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.model.EvalStats;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.ModelFactory;
import dev.ponder.core.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Does halting save wall-clock time in proportion to the work it skips? Runs forward passes of one
 * SUT (the same parameters, the same batch) at several halting thresholds tau in one process,
 * interleaving the thresholds round by round and taking medians (a shared machine's bursts hit
 * single rounds, not one threshold), and reports per tau: mean depth, executed forward FLOPs per
 * token (the layer steps, as the model counts them, and with the LM head, which every token runs),
 * and milliseconds per forward (whole, and without the embedding and LM head).
 *
 * <p>A freshly initialised SUT halts every token at the same step (the gate's last layer starts at
 * zero: alpha = 1/2 for all). Unless the parameters come from a trained checkpoint, the gate's last
 * layer is drawn from N(0, gateScale^2) so that depth varies from token to token, as after
 * training; the threshold that halves the mean depth is then found by bisection.
 */
public final class HaltingBench {
    private HaltingBench() {}

    /** Medians over the rounds at one threshold; depth and FLOPs are the same in every round. */
    public record Row(double tau, double meanDepth, double[] depthShare, double stepFlopsPerToken,
                      double forwardFlopsPerToken, double msPerForward, double msPerForwardSteps, double cpuMsPerForward) {}

    /**
     * The rows (first = the largest tau, the baseline) and how the time fell relative to the FLOPs;
     * {@code pairedTimeRatio[i]} is the median over rounds of row i's time over the baseline's in the
     * same round (the load of a shared machine changes between rounds, less within one).
     */
    public record Result(List<Row> rows, int rounds, int tokensPerForward, double[] pairedTimeRatio) {
        /** As {@link #timeOverFlopsFall} from the paired (same-round) time ratio. */
        public double pairedTimeOverFlopsFall(int i) {
            Row b = rows.get(0);
            Row r = rows.get(i);
            return (1 - pairedTimeRatio[i]) / (1 - r.forwardFlopsPerToken() / b.forwardFlopsPerToken());
        }

        /** (1 - ms / ms_base) / (1 - flops / flops_base) of row i against row 0, whole forward. */
        public double timeOverFlopsFall(int i) {
            Row b = rows.get(0);
            Row r = rows.get(i);
            return (1 - r.msPerForward() / b.msPerForward()) / (1 - r.forwardFlopsPerToken() / b.forwardFlopsPerToken());
        }

        /** The same with the process CPU time per forward (less sensitive to other jobs on the machine). */
        public double cpuOverFlopsFall(int i) {
            Row b = rows.get(0);
            Row r = rows.get(i);
            return (1 - r.cpuMsPerForward() / b.cpuMsPerForward()) / (1 - r.forwardFlopsPerToken() / b.forwardFlopsPerToken());
        }

        /** The same for the layer steps only (forward minus embedding and LM head). */
        public double stepTimeOverFlopsFall(int i) {
            Row b = rows.get(0);
            Row r = rows.get(i);
            return (1 - r.msPerForwardSteps() / b.msPerForwardSteps()) / (1 - r.stepFlopsPerToken() / b.stepFlopsPerToken());
        }
    }

    /**
     * A model with the gate's last layer drawn from N(0, gateScale^2) (0: left as it is) from the
     * parameters of {@code base} (null: a fresh model of {@code config} from {@code seed}).
     */
    public static float[] parameters(ModelConfig config, float[] base, double gateScale, long seed) {
        LanguageModel m = base == null ? ModelFactory.create(config, seed) : ModelFactory.createForLoad(config, seed);
        if (base != null) {
            m.params().copyParamsFrom(base);
        }
        if (gateScale > 0) {
            new Rng(seed).split("halting_gate").fillNormal(m.params().value("layer.halt.out.weight"), 0.0, gateScale);
        }
        return m.params().paramsToArray();
    }

    /** The same model at another threshold. */
    static LanguageModel at(ModelConfig config, float[] params, double tau, long seed) {
        ModelConfig c = config.toBuilder().sut(config.sut().withHaltingThreshold(tau)).build();
        LanguageModel m = ModelFactory.createForLoad(c, seed);
        m.params().copyParamsFrom(params);
        return m;
    }

    /** Random token windows [batch, seqLen + 1]. */
    public static int[] tokens(int vocab, int batch, int seqLen, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[batch * (seqLen + 1)];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** Mean depth of one forward at {@code tau}. */
    static double meanDepth(ModelConfig config, float[] params, double tau, int[] tokens, int batch, int seqLen, long seed) {
        LanguageModel m = at(config, params, tau, seed);
        return m.evaluate(tokens, batch, seqLen + 1).scalars().get("mean_depth");
    }

    /**
     * The largest tau (to 1e-4) whose mean depth is at most {@code target}, by bisection (depth
     * grows with tau).
     */
    public static double tauForDepth(ModelConfig config, float[] params, double target, int[] tokens, int batch,
                                     int seqLen, long seed) {
        double lo = 0.0;
        double hi = 1.0;
        if (meanDepth(config, params, lo, tokens, batch, seqLen, seed) > target) {
            return lo;
        }
        while (hi - lo > 1e-4) {
            double mid = (lo + hi) / 2;
            if (meanDepth(config, params, mid, tokens, batch, seqLen, seed) <= target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Times {@code rounds} forwards per threshold, interleaved, after {@code warmup} untimed rounds. */
    public static Result run(ModelConfig config, float[] params, double[] taus, int[] tokens, int batch, int seqLen,
                             int warmup, int rounds, long seed) {
        int n = taus.length;
        LanguageModel[] models = new LanguageModel[n];
        for (int i = 0; i < n; i++) {
            models[i] = at(config, params, taus[i], seed);
        }
        double[][] ms = new double[n][rounds];
        double[][] msSteps = new double[n][rounds];
        double[][] cpu = new double[n][rounds];
        EvalStats[] last = new EvalStats[n];
        for (int round = 0; round < warmup + rounds; round++) {
            for (int j = 0; j < n; j++) {
                int i = (j + round) % n;                                   // rotate the order every round
                PhaseTimer timer = new PhaseTimer();
                PhaseTimer.install(timer);
                long c0 = PhaseTimer.processCpuNanos();
                long t0 = System.nanoTime();
                try {
                    last[i] = models[i].evaluate(tokens, batch, seqLen + 1);
                } finally {
                    PhaseTimer.install(null);
                }
                double total = (System.nanoTime() - t0) / 1e6;
                double cpuMs = (PhaseTimer.processCpuNanos() - c0) / 1e6;
                models[i].drainRoutingStats();
                models[i].drainComputeHistograms();
                if (round >= warmup) {
                    Map<String, Double> phases = timer.seconds();
                    double outside = 1e3 * (phases.getOrDefault("lm_head", 0.0) + phases.getOrDefault("embedding", 0.0));
                    ms[i][round - warmup] = total;
                    msSteps[i][round - warmup] = total - outside;
                    cpu[i][round - warmup] = cpuMs;
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        int tokensPerForward = batch * seqLen;
        double[] paired = new double[n];
        for (int i = 0; i < n; i++) {
            double[] ratio = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                ratio[round] = ms[i][round] / ms[0][round];
            }
            paired[i] = median(ratio);
        }
        for (int i = 0; i < n; i++) {
            Map<String, Double> s = last[i].scalars();
            double stepFlops = 2 * s.get("executed_macs_per_token");
            double head = 2.0 * models[i].headMacsPerToken();
            rows.add(new Row(taus[i], s.get("mean_depth"), depthShare(models[i], tokens, batch, seqLen, config.nLayers()),
                    stepFlops, stepFlops + head, median(ms[i]), median(msSteps[i]), median(cpu[i])));
        }
        return new Result(rows, rounds, tokensPerForward, paired);
    }

    /** The share of tokens at each depth 1..L (one more forward, untimed). */
    private static double[] depthShare(LanguageModel m, int[] tokens, int batch, int seqLen, int steps) {
        m.evaluate(tokens, batch, seqLen + 1);
        m.drainRoutingStats();
        dev.ponder.core.metrics.HistogramValue h = m.drainComputeHistograms().get("depth").toValue();
        double[] share = new double[steps + 1];
        for (int b = 0; b < h.bucketLimit().length; b++) {
            int depth = (int) Math.round(h.bucketLimit()[b] - 0.5);
            if (depth >= 1 && depth <= steps) {
                share[depth] += h.bucket()[b] / h.num();
            }
        }
        return share;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The table, one line per threshold, and the comparison of each row with the first. */
    public static List<String> table(Result r) {
        List<String> out = new ArrayList<>();
        out.add(String.format(java.util.Locale.ROOT, "%-8s %-10s %-14s %-17s %-10s %-12s %-10s %s", "tau",
                "mean_depth", "step_flops/tok", "forward_flops/tok", "ms/forward", "ms/fwd_steps", "cpu_ms/fwd",
                "depth share 1..L"));
        for (Row row : r.rows()) {
            StringBuilder share = new StringBuilder();
            for (int d = 1; d < row.depthShare().length; d++) {
                share.append(String.format(java.util.Locale.ROOT, "%s%.2f", d == 1 ? "" : " ", row.depthShare()[d]));
            }
            out.add(String.format(java.util.Locale.ROOT, "%-8.4f %-10.3f %-14.4g %-17.4g %-10.1f %-12.1f %-10.1f %s",
                    row.tau(), row.meanDepth(), row.stepFlopsPerToken(), row.forwardFlopsPerToken(), row.msPerForward(),
                    row.msPerForwardSteps(), row.cpuMsPerForward(), share));
        }
        for (int i = 1; i < r.rows().size(); i++) {
            Row row = r.rows().get(i);
            Row b = r.rows().get(0);
            out.add(String.format(java.util.Locale.ROOT,
                    "tau %.4f vs %.4f: forward FLOPs -%.1f%%, time -%.1f%% (time/FLOPs fall %.2f; paired per round "
                            + "-%.1f%%, %.2f; CPU time %.2f); layer steps: FLOPs -%.1f%%, time -%.1f%% (%.2f)",
                    row.tau(), b.tau(), 100 * (1 - row.forwardFlopsPerToken() / b.forwardFlopsPerToken()),
                    100 * (1 - row.msPerForward() / b.msPerForward()), r.timeOverFlopsFall(i),
                    100 * (1 - r.pairedTimeRatio()[i]), r.pairedTimeOverFlopsFall(i), r.cpuOverFlopsFall(i),
                    100 * (1 - row.stepFlopsPerToken() / b.stepFlopsPerToken()),
                    100 * (1 - row.msPerForwardSteps() / b.msPerForwardSteps()), r.stepTimeOverFlopsFall(i)));
        }
        return out;
    }

    /**
     * Usage: {@code HaltingBench [--batch B] [--seq T] [--rounds R] [--gate-scale s]} on
     * conf/model/sut-tiny.yaml's model (d 256, 8 steps, attention 8 x 4 heads of 64, FFN 32 x 256);
     * thresholds 1, 0.999 and the one halving the mean depth. The CLI entry is {@code ponder bench halting}.
     */
    public static void main(String[] args) {
        dev.ponder.core.Backend.init();
        int batch = 8;
        int seq = 128;
        int rounds = 15;
        double gate = 0.2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--seq" -> seq = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--gate-scale" -> gate = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ModelConfig c = ModelConfig.builder().family("sut").vocabSize(8192).dModel(256).nLayers(8).nHeads(4).dHead(64)
                .contextLength(256).sut(new dev.ponder.core.model.SutSettings(32, 256, 2, 8, 2, 0.999, 0.01, 0.001, false))
                .build();
        float[] params = parameters(c, null, gate, 1);
        int[] tokens = tokens(c.vocabSize(), batch, seq, 2);
        double half = tauForDepth(c, params, c.nLayers() / 2.0, tokens, batch, seq, 1);
        Result r = run(c, params, new double[] {1.0, 0.999, half}, tokens, batch, seq, 2, rounds, 1);
        table(r).forEach(System.out::println);
    }
}
