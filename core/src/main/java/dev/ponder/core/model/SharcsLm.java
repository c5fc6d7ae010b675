package dev.ponder.core.model;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.StepWorkspace;
import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.core.width.RouterLoss;
import dev.ponder.core.width.Width;
import dev.ponder.core.width.WidthLabels;
import dev.ponder.core.width.WidthRouter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SHARCS (Salehi et al. 2023; MODELS.md section 3): the dense pre-LN transformer of {@link DenseLm}
 * (same blocks, same parameter names) whose layers from sharcs_start_layer = r on, final norm and LM
 * head run at a per-window width w chosen from sharcs_widths: the leading round(H w) heads, round(d w)
 * residual channels and round(d_ff w) FFN units of the same weights, with a LayerNorm per width. A
 * router ({@link WidthRouter}) on the causally pooled output of layer r - 1 predicts the width.
 *
 * <p>Training (one step): each window's labels come from its confidence history ({@link WidthLabels}:
 * full width only during its first sharcs_history visits); its training width is a random pick among
 * its labels (seeded by window and visit). The batch is reordered so that windows of one width are
 * contiguous: layers before r run on the whole batch, then each width's bucket runs layers r.. at its
 * width as one sub-batch, and the gradients meet again at layer r - 1. Loss = mean CE over all tokens
 * + sharcs_router_loss x BCE(router logits, multi-hot labels) ({@link StepStats#auxLoss()}); the
 * router's gradient flows into the trunk, as in the reference. Each window's mean next-token
 * probability at its training width is recorded as its next confidence.
 *
 * <p>Evaluation is routed inference ({@link SharcsInference}); {@link #evaluateAtWidth} runs one
 * fixed sub-network.
 *
 * <p>Extra parameter names: layers.{i}.ln{1,2}_w0p25.{weight,bias} per narrower width for i >= r,
 * out_norm_w0p25.{weight,bias}, router.fc{1,2}.{weight,bias}. At width 1.0 the computation is
 * exactly {@link DenseLm}'s on the parameters of the same names.
 */
public final class SharcsLm extends AbstractLm {
    private final SharcsSettings ss;
    private final LmEnds ends;                                         // one final norm per width
    private final List<DenseBlock> blocks = new ArrayList<>();
    private final List<Width> widths;
    private final WidthRouter router;
    private final WidthLabels labeler;
    private final Rng widthPicks;
    /** The history this replica reads (a round's broadcast: never modified here). */
    private ConfidenceHistory history;
    /** Visits recorded since {@link #useSampleHistory} (looked up with the history) and since the last drain. */
    private ConfidenceHistory.Visits sinceLoad = new ConfidenceHistory.Visits();
    private ConfidenceHistory.Visits sinceDrain = new ConfidenceHistory.Visits();
    private final Map<String, Histogram> compute = new TreeMap<>();

    public SharcsLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "sharcs");
        this.ss = config.sharcs();
        this.widths = ss.shapes(config.dModel(), config.nHeads(), config.dFf());
        ParamRegistry reg = new ParamRegistry();
        int d = config.dModel();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        Rope rope = new Rope(config.dHead(), config.ropeDims(), config.ropeBase());
        for (int i = 0; i < config.nLayers(); i++) {
            blocks.add(new DenseBlock(reg, "layers." + i, config, rope, i >= ss.startLayer() ? widths : List.of()));
        }
        this.ends = endsBuilder.outNorms(widths).head().build();         // DenseLm's head, sliced per width
        this.router = new WidthRouter(reg, "router", d, ss.routerHidden(), widths.size(), ss.routerPool(),
                ss.prefixLength());
        build(reg, dtype, seed);
        this.labeler = ss.labels();
        this.widthPicks = new Rng(seed).split("sharcs_width");
        this.history = new ConfidenceHistory(ss.history());
    }

    public List<Width> widths() {
        return widths;
    }

    /** The stable id of window b of a [B, T + 1] batch: a 64-bit hash of its tokens. */
    public static long windowKey(int[] tokens, int b, int seqLenPlusOne) {
        long h = 0xcbf29ce484222325L;                                  // FNV-1a over the ids, then SplitMix
        for (int i = b * seqLenPlusOne; i < (b + 1) * seqLenPlusOne; i++) {
            h = (h ^ tokens[i]) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    @Override
    public void useSampleHistory(ConfidenceHistory h) {
        if (h.window() != ss.history()) {
            throw new IllegalArgumentException("confidence history: expected a window of sharcs_history = "
                    + ss.history() + " visits, found " + h.window());
        }
        history = h;
        sinceLoad = new ConfidenceHistory.Visits();
        sinceDrain = new ConfidenceHistory.Visits();
    }

    @Override
    public ConfidenceHistory.Visits drainSampleVisits() {
        ConfidenceHistory.Visits out = sinceDrain;
        sinceDrain = new ConfidenceHistory.Visits();
        return out;
    }

    @Override
    public Map<String, Histogram> drainComputeHistograms() {
        Map<String, Histogram> out = new TreeMap<>(compute);
        compute.clear();
        return out;
    }

    /** A window's history including this replica's visits (null when never visited). */
    ConfidenceHistory.Entry historyOf(long key) {
        return history.lookup(key, sinceLoad);
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        return step(tokens, batch, seqLenPlusOne, -1, true, true);
    }

    /**
     * A training step with every window at width {@code fraction} (one of sharcs_widths) instead of
     * its labels' pick; the router still trains on the labels. For benchmarks: records no visits.
     */
    public StepStats forwardBackwardAtWidth(int[] tokens, int batch, int seqLenPlusOne, double fraction) {
        return step(tokens, batch, seqLenPlusOne, widthIndex(fraction), true, false);
    }

    /** The training objective of {@link #forwardBackward} without backward or side effects (for tests). */
    double trainingObjective(int[] tokens, int batch, int seqLenPlusOne) {
        return step(tokens, batch, seqLenPlusOne, -1, false, false).totalLoss();
    }

    int widthIndex(double fraction) {
        for (Width w : widths) {
            if (w.fraction() == fraction) {
                return w.index();
            }
        }
        throw new IllegalArgumentException("width: expected one of sharcs_widths " + ss.widths() + ", found " + fraction);
    }

    private StepStats step(int[] tokens, int batch, int seqLenPlusOne, int forced, boolean backward, boolean record) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int t = w.seqLen();
        int n = batch * t;
        WidthBuckets plan = WidthBuckets.plan(tokens, batch, seqLenPlusOne, forced, this::historyOf, labeler,
                widthPicks);
        int[] in = plan.reorder(w.inputs(), t);
        int[] tg = plan.reorder(w.targets(), t);
        int start = ss.startLayer();
        try (StepWorkspace ignored = StepWorkspace.open()) {
            long t0 = PhaseTimer.start();
            Fwd<Embedding.Saved> emb = ends.embed(in);
            INDArray x = emb.out();                                          // [B*T, d], the residual stream
            t0 = PhaseTimer.stop("embedding", t0);
            List<DenseBlock.Saved> trunk = new ArrayList<>(start);
            for (int i = 0; i < start; i++) {
                trunk.add(blocks.get(i).forwardInPlace(x, batch, t));
            }
            t0 = PhaseTimer.stop("trunk forward", t0);
            Fwd<WidthRouter.Saved> r = router.forward(x, batch, t);         // [B*R, |W|]
            RouterLoss.Result rl = RouterLoss.compute(r.out(), plan.labels(),
                    CausalPool.rowsPerSample(ss.routerPool(), t), ss.routerLoss());
            PhaseTimer.stop("router", t0);
            INDArray dx = backward ? Nd4j.zeros(x.dataType(), n, config.dModel()) : null; // d(loss)/d(layer r-1 output)
            double ceSum = 0;
            double[] tokensAt = new double[widths.size()];
            double macs = 0;
            double routerPerToken = routerMacsPerToken(t);
            for (int s0 = 0; s0 < batch; ) {
                int j = plan.width()[s0];
                int s1 = plan.bucketEnd(s0);
                Width wd = widths.get(j);
                int rows = (s1 - s0) * t;
                double[] rowLoss = new double[rows];
                ceSum += bucket(x, dx, s0, s1, t, wd, Arrays.copyOfRange(tg, s0 * t, s1 * t), 1.0 / n, rowLoss);
                for (int s = s0; s < s1; s++) {
                    double conf = meanProbability(rowLoss, (s - s0) * t, t);
                    if (record) {
                        sinceLoad.add(plan.keys()[s], conf);
                        sinceDrain.add(plan.keys()[s], conf);
                    }
                }
                double perToken = FlopCount.sharcsBlocksMacsPerToken(config, wd, t) + routerPerToken;
                tokensAt[j] += rows;
                macs += perToken * rows;
                if (record) {
                    compute.computeIfAbsent("width", k -> Histogram.exponential()).add(wd.fraction(), rows);
                    compute.computeIfAbsent("flops", k -> Histogram.exponential()).add(2 * perToken, rows);
                }
                s0 = s1;
            }
            if (backward) {
                t0 = PhaseTimer.start();
                dx.addi(router.backward(r.saved(), rl.dLogits()));
                t0 = PhaseTimer.stop("router", t0);
                for (int i = start - 1; i >= 0; i--) {
                    try (StepWorkspace scratch = StepWorkspace.scratch()) {   // dx is updated in place
                        blocks.get(i).backwardInPlace(trunk.get(i), dx);
                    }
                }
                t0 = PhaseTimer.stop("trunk backward", t0);
                ends.embedBackward(emb.saved(), dx);
                PhaseTimer.stop("embedding", t0);
            }
            double ce = ceSum / n;
            double aux = ss.routerLoss() * rl.loss();
            Map<String, Double> scalars = new LinkedHashMap<>();
            scalars.put("router_bce", rl.loss());
            scalars.put("router_acc", rl.correct() / (double) rl.rows());
            double mean = 0;
            for (Width wd : widths) {
                scalars.put("width_share/" + wd.label(), tokensAt[wd.index()] / n);
                mean += wd.fraction() * tokensAt[wd.index()] / n;
            }
            scalars.put("width_mean", mean);
            putMacScalars(scalars, macs / n, t);
            return new StepStats(ce, aux, ce + aux, n, scalars);
        }
    }

    /**
     * One width bucket of a training step: windows [s0, s1) (rows [s0 T, s1 T) of x) through layers
     * r.. at width w, its final norm and the sliced head; with {@code dx} (training) the gradient
     * goes back to the bucket's rows of dx (columns beyond dW stay 0: the slice's backward).
     * Returns the summed CE; rowLoss receives each row's CE.
     */
    private double bucket(INDArray x, INDArray dx, int s0, int s1, int t, Width w, int[] targets, double gradScale,
                          double[] rowLoss) {
        int nb = s1 - s0;
        int rows = nb * t;
        long t0 = PhaseTimer.start();
        INDArray xb = Views.block(x, (long) s0 * t, rows, w.dModel()).dup('c'); // [nb*T, dW], leading channels
        List<DenseBlock.Saved> saved = new ArrayList<>();
        for (int i = ss.startLayer(); i < blocks.size(); i++) {
            saved.add(blocks.get(i).forwardInPlace(xb, nb, t, w));
        }
        t0 = PhaseTimer.stop("sliced forward", t0);
        if (dx == null) {
            double sum = ends.loss(w.index(), xb, targets, null, rowLoss);
            PhaseTimer.stop("lm_head", t0);
            return sum;
        }
        LmHead.Result ce = ends.lossAndGrad(w.index(), xb, targets, gradScale, rowLoss);
        INDArray dxb = ce.dx();                                              // [nb*T, dW]
        t0 = PhaseTimer.stop("lm_head", t0);
        for (int i = blocks.size() - 1; i >= ss.startLayer(); i--) {
            try (StepWorkspace scratch = StepWorkspace.scratch()) {
                blocks.get(i).backwardInPlace(saved.get(i - ss.startLayer()), dxb);
            }
        }
        Views.block(dx, (long) s0 * t, rows, w.dModel()).assign(dxb);
        PhaseTimer.stop("sliced backward", t0);
        return ce.lossSum();
    }

    /** Mean of exp(-CE) over rows [from, from + t): a window's mean next-token probability. */
    static double meanProbability(double[] rowLoss, int from, int t) {
        double s = 0;
        for (int i = from; i < from + t; i++) {
            s += Math.exp(-rowLoss[i]);
        }
        return s / t;
    }

    /** Router MACs per token: once per window (spread over its T tokens) with prefix pooling, else per token. */
    double routerMacsPerToken(int t) {
        long perRow = FlopCount.sharcsRouterMacsPerRow(config);
        return ss.routerPool() == CausalPool.Mode.PREFIX ? perRow / (double) t : perRow;
    }

    // ---- pieces the routed inference composes (SharcsInference) ----

    /** Embedding and layers 0..r-1 at full width, without keeping activations: [B*T, d]. */
    INDArray trunk(int[] inputs, int batch, int t) {
        INDArray x = ends.embed(inputs).out();
        for (int i = 0; i < ss.startLayer(); i++) {
            try (StepWorkspace scratch = StepWorkspace.scratch()) {
                blocks.get(i).forwardInPlace(x, batch, t);
            }
        }
        return x;
    }

    /**
     * Forward only: xb [nb*T, dW] (the leading channels of layer r-1's output, a copy: updated in
     * place) through layers r.. at width w, its norm and the sliced head; summed CE, each row's CE into
     * rowLoss and, when given, the logits into logitsOut [nb*T, V].
     */
    double branch(INDArray xb, int nb, int t, Width w, int[] targets, double[] rowLoss, INDArray logitsOut) {
        for (int i = ss.startLayer(); i < blocks.size(); i++) {
            try (StepWorkspace scratch = StepWorkspace.scratch()) {
                blocks.get(i).forwardInPlace(xb, nb, t, w);
            }
        }
        return ends.loss(w.index(), xb, targets, logitsOut, rowLoss);
    }

    LmEnds ends() {
        return ends;
    }

    WidthRouter router() {
        return router;
    }

    WidthLabels labeler() {
        return labeler;
    }

    SharcsSettings settings() {
        return ss;
    }

    void recordCompute(String name, double value, long tokens) {
        compute.computeIfAbsent(name, k -> Histogram.exponential()).add(value, tokens);
    }

    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        return new SharcsInference(this).evaluate(tokens, batch, seqLenPlusOne, withLogits);
    }

    /**
     * One fixed sub-network: every window and position at width {@code fraction} (the router is not
     * consulted). Width 1.0 is {@link DenseLm}'s forward on the shared parameters.
     */
    public EvalStats evaluateAtWidth(int[] tokens, int batch, int seqLenPlusOne, double fraction, boolean withLogits) {
        return new SharcsInference(this).evaluateAtWidth(tokens, batch, seqLenPlusOne, widths.get(widthIndex(fraction)),
                withLogits);
    }

    /** The routed width index per window (prefix pooling) or per position (per-token pooling). */
    int[] route(int[] tokens, int batch, int seqLenPlusOne) {
        return new SharcsInference(this).route(tokens, batch, seqLenPlusOne);
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.sharcsMacsPerToken(config, seqLen);
    }
}
