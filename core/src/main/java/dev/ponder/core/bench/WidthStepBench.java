package dev.ponder.core.bench;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.model.FlopCount;
import dev.ponder.core.model.ModelConfig;
import dev.ponder.core.model.SharcsLm;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.GradClip;
import dev.ponder.core.width.Width;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Wall-clock per step against FLOPs per token for each SHARCS width (MODELS.md section 3: a
 * sub-network must really be cheaper, not only on paper). One model; every round times one
 * training step (zero grads, forward + backward with every window at width w, clip, AdamW) and one
 * inference forward at each width, in an order rotated per round so that bursts of other work on a
 * shared machine hit all widths alike; medians over the rounds.
 *
 * <p>FLOPs per token are executed forward FLOPs at the width: 2 x (the blocks' multiply-adds, the
 * router's share and the LM head at the sliced width). Training counts 3 x that (backward = 2 x
 * forward). The realised speed-up of width w is t(1.0) / t(w); its FLOP reduction F(1.0) / F(w);
 * their ratio is what the benchmark checks (>= 0.8). Costs that do not shrink with the width stay
 * in the wall clock: the embedding, the optimizer over all parameters (AdamW moves every parameter
 * every step, as PyTorch's does for sliced weights whose gradient is zero outside the slice), per-op
 * overheads. The step is therefore also split into the model's forward + backward and the
 * optimizer (zero grads, clip, AdamW), and the process CPU time of the step is reported beside its
 * wall clock (CPU time is less sensitive to other processes on a shared machine).
 *
 * <p>Workers: a training run steps train.workers replicas at once, each task on its share of the
 * cores (sharcs-tiny on 2 cores: two one-thread tasks), and that layout is what the width changes
 * the wall clock of. So the benchmark can run that many replicas side by side, each on its own
 * thread; one replica on all cores is the other layout. They differ at narrow widths: a width-0.25
 * layer's gemms ([2048, 64] x [64, 64] and the like) split over two threads ran hardly faster than
 * on one (a w0.25 step's narrow layers 98 ms on 2 threads, 111 ms on 1), while two replicas each
 * on one core run two of them at once.
 */
public final class WidthStepBench {
    private WidthStepBench() {}

    /**
     * Medians of one width: the whole training step, its model and optimizer parts, its CPU time,
     * inference; and the fastest step of all rounds (less exposed to other processes than a median).
     */
    public record Times(double step, double model, double optimizer, double stepCpu, double inference,
                        double bestStep) {}

    /** One width's FLOPs and medians, and its speed-ups over full width (full / this). */
    public record Row(double width, double forwardFlopsPerToken, double headFlopsPerToken, Times times,
                      double flopReduction, Times speedup) {
        /** Realised training step speed-up over the FLOP reduction. */
        public double trainRatio() {
            return speedup.step() / flopReduction;
        }

        public double inferenceRatio() {
            return speedup.inference() / flopReduction;
        }
    }

    /** All widths, widest last, and the run's shape ({@code workers} replicas stepping side by side). */
    public record Result(List<Row> rows, int batch, int seqLen, int rounds, long parameters, int workers) {}

    /** Forward FLOPs per token of a pass at width w (blocks, router share, sliced head). */
    public static double forwardFlopsPerToken(ModelConfig c, Width w, int seqLen) {
        long perRow = FlopCount.sharcsRouterMacsPerRow(c);
        double router = c.sharcs().routerPool() == dev.ponder.core.width.CausalPool.Mode.PREFIX
                ? perRow / (double) seqLen : perRow;
        return 2.0 * (FlopCount.sharcsBlocksMacsPerToken(c, w, seqLen) + router + headMacs(c, w));
    }

    static double headMacs(ModelConfig c, Width w) {
        return (double) w.dModel() * c.vocabSize();
    }

    /** One replica on the calling thread (its compute threads as set by the caller). */
    public static Result run(ModelConfig config, int batch, int seqLen, int warmup, int rounds, long seed) {
        return run(config, batch, seqLen, warmup, rounds, seed, 1, 0);
    }

    /**
     * {@code workers} replicas stepping side by side, each on its own thread with
     * {@code threadsPerWorker} compute threads (0: the calling thread's setting, one replica only):
     * the layout of a training run with train.workers tasks on a machine's cores (local[2] with 2
     * workers runs two one-thread tasks). Every replica steps at the same width at the same time;
     * a step's time is until the last replica has finished it, so it is the time the workers take
     * to step once each at that width. Replicas get different tokens (seed + replica).
     */
    public static Result run(ModelConfig config, int batch, int seqLen, int warmup, int rounds, long seed,
                             int workers, int threadsPerWorker) {
        if (workers < 1 || (workers > 1 && threadsPerWorker < 1)) {
            throw new IllegalArgumentException("width bench: expected >= 1 workers with >= 1 threads each, found "
                    + workers + " x " + threadsPerWorker);
        }
        Replica[] replicas = new Replica[workers];
        for (int i = 0; i < workers; i++) {
            replicas[i] = new Replica(config, batch, seqLen, seed, i);
        }
        List<Width> widths = replicas[0].model.widths();
        int k = widths.size();
        try (WorkerThreads<Replica> pool = new WorkerThreads<>(workers, threadsPerWorker)) {
            for (int i = 0; i < warmup; i++) {
                for (Width w : widths) {
                    pool.each(replicas, rep -> rep.trainStep(w.fraction()));
                    pool.each(replicas, rep -> rep.infer(w.fraction()));
                }
            }
            double[][][] t = new double[k][5][rounds];                        // [width][part][round]
            for (int round = 0; round < rounds; round++) {
                for (int j = 0; j < k; j++) {
                    int wi = (round + j) % k;                                   // rotate the order every round
                    double w = widths.get(wi).fraction();
                    long cpu0 = PhaseTimer.processCpuNanos();
                    long t0 = System.nanoTime();
                    double[][] parts = pool.each(replicas, rep -> rep.trainStep(w)); // [replica] {model, optimizer}
                    long t1 = System.nanoTime();
                    long cpu1 = PhaseTimer.processCpuNanos();
                    pool.each(replicas, rep -> rep.infer(w));
                    long t2 = System.nanoTime();
                    t[wi][0][round] = (t1 - t0) / 1e9;
                    t[wi][1][round] = Arrays.stream(parts).mapToDouble(p -> p[0]).max().orElseThrow();
                    t[wi][2][round] = Arrays.stream(parts).mapToDouble(p -> p[1]).max().orElseThrow();
                    t[wi][3][round] = (cpu1 - cpu0) / 1e9;
                    t[wi][4][round] = (t2 - t1) / 1e9;
                }
                for (Replica rep : replicas) {
                    rep.model.drainComputeHistograms();
                }
            }
            return result(config, seqLen, widths, t, batch, rounds, replicas[0].model.params().size(), workers);
        }
    }

    private static Result result(ModelConfig config, int seqLen, List<Width> widths, double[][][] t, int batch,
                                 int rounds, long parameters, int workers) {
        int k = widths.size();
        Times[] med = new Times[k];
        for (int j = 0; j < k; j++) {
            med[j] = new Times(median(t[j][0]), median(t[j][1]), median(t[j][2]), median(t[j][3]), median(t[j][4]),
                    Arrays.stream(t[j][0]).min().orElse(Double.NaN));
        }
        Times full = med[k - 1];
        double fullFlops = forwardFlopsPerToken(config, widths.get(k - 1), seqLen);
        List<Row> rows = new ArrayList<>();
        for (Width w : widths) {
            Times m = med[w.index()];
            double f = forwardFlopsPerToken(config, w, seqLen);
            rows.add(new Row(w.fraction(), f, 2 * headMacs(config, w), m, fullFlops / f,
                    new Times(full.step() / m.step(), full.model() / m.model(), full.optimizer() / m.optimizer(),
                            full.stepCpu() / m.stepCpu(), full.inference() / m.inference(),
                            full.bestStep() / m.bestStep())));
        }
        return new Result(rows, batch, seqLen, rounds, parameters, workers);
    }

    /** One worker's model, optimizer and tokens. */
    private static final class Replica {
        final SharcsLm model;
        final AdamW opt;
        final int[] tokens;
        final int batch;
        final int seqLen;

        Replica(ModelConfig config, int batch, int seqLen, long seed, int index) {
            this.model = new SharcsLm(config, seed, DataType.FLOAT);
            this.opt = new AdamW(model.params(), AdamW.Config.defaults());
            this.batch = batch;
            this.seqLen = seqLen;
            this.tokens = new int[batch * (seqLen + 1)];
            SplittableRandom r = new SplittableRandom(seed + index);
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = r.nextInt(config.vocabSize());
            }
        }

        /** Zero grads, forward + backward at width w, clip, AdamW: {model seconds, optimizer seconds}. */
        double[] trainStep(double width) {
            long t0 = System.nanoTime();
            model.params().zeroGrads();
            model.forwardBackwardAtWidth(tokens, batch, seqLen + 1, width);
            long t1 = System.nanoTime();
            opt.step(1e-4, GradClip.scale(GradClip.globalNorm(model.params().grads()), 1.0));
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
        }

        double[] infer(double width) {
            model.evaluateAtWidth(tokens, batch, seqLen + 1, width, false);
            return new double[0];
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
