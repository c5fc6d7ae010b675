package dev.ponder.core.model;

import dev.ponder.core.routing.Views;
import dev.ponder.core.tensor.StepWorkspace;
import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.RouterLoss;
import dev.ponder.core.width.Width;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SHARCS evaluation: inference at the routed width (the router's argmax), causal by construction.
 *
 * <p>Prefix pooling (the default): a window's width is known once its first P' = min(P, T) tokens
 * are seen, so positions 0..P'-1 are predicted by the full-width model and positions P'.. by the
 * routed sub-network, which reads the whole window (its first P' tokens included) at its width. An
 * inference server would run the prefix at full width, route, then run the window at width w; that
 * is what the reported FLOPs count: full width over the P' prefix tokens, plus width w over every
 * token.
 *
 * <p>Per-token pooling: position t's width is the argmax at t (the router reads positions 0..t).
 * Every width used in a window runs over the window's positions up to the last one routed to it
 * (those earlier tokens' keys and values are needed at that width); each position takes the
 * prediction of its own width's pass. FLOPs count every pass a position took part in.
 *
 * <p>Router accuracy: a validation window has no training history, so its reference labels come
 * from its full-width confidence alone ({@link dev.ponder.core.width.WidthLabels#labelsOf}); the
 * evaluation therefore runs every window once at full width (which also gives the full-width
 * predictions above). That pass is evaluation overhead, not part of the reported inference FLOPs.
 *
 * <p>Scalars (per batch, divided by the batch's tokens so that token-weighted sums over batches are
 * exact totals): width_tokens/w, width_ce/w, width_flops/w (tokens predicted at width w, their CE and
 * inference FLOPs), width_windows/w (prefix pooling: windows routed to w), router_correct and
 * router_rows (rows whose argmax is among the labels, rows routed), flops_per_token, width_mean.
 */
final class SharcsInference {
    private final SharcsLm m;
    private final ModelConfig c;

    SharcsInference(SharcsLm model) {
        this.m = model;
        this.c = model.config();
    }

    /** The router's argmax per window (prefix pooling) or per position (per-token pooling). */
    int[] route(int[] tokens, int batch, int seqLenPlusOne) {
        Windows win = Windows.split(tokens, batch, seqLenPlusOne, c.contextLength());
        try (StepWorkspace ignored = StepWorkspace.open()) {
            return RouterLoss.argmax(m.router().forward(m.trunk(win.inputs(), batch, win.seqLen()), batch,
                    win.seqLen()).out());
        }
    }

    EvalStats evaluateAtWidth(int[] tokens, int batch, int seqLenPlusOne, Width w, boolean withLogits) {
        Windows win = Windows.split(tokens, batch, seqLenPlusOne, c.contextLength());
        int t = win.seqLen();
        int n = batch * t;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = m.trunk(win.inputs(), batch, t);                        // [B*T, d]
            INDArray xb = Views.block(x, 0, n, w.dModel()).dup('c');             // [B*T, dW]
            INDArray logits = withLogits ? m.ends().newLogits(x, n) : null;      // [B*T, V]
            double sum = m.branch(xb, batch, t, w, win.targets(), new double[n], logits);
            double flops = 2.0 * FlopCount.sharcsBlocksMacsPerToken(c, w, t);
            m.recordCompute("width", w.fraction(), n);
            m.recordCompute("flops", flops, n);
            INDArray out = withLogits ? m.ends().detachLogits(logits, batch, t) : null;  // [B, T, V]
            Map<String, Double> s = new LinkedHashMap<>();
            s.put("flops_per_token", flops);
            s.put("width_mean", w.fraction());
            return new EvalStats(sum, n, 0.0, out, s);
        }
    }

    EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        Windows win = Windows.split(tokens, batch, seqLenPlusOne, c.contextLength());
        int t = win.seqLen();
        int n = batch * t;
        List<Width> widths = m.widths();
        Width full = widths.get(widths.size() - 1);
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = m.trunk(win.inputs(), batch, t);                        // [B*T, d]
            INDArray logitsR = m.router().forward(x, batch, t).out();            // [B*R, |W|]
            int[] routed = RouterLoss.argmax(logitsR);
            boolean perToken = m.settings().routerPool() == CausalPool.Mode.TOKEN;
            // The full-width pass over every window (labels; full-width predictions).
            double[] ceFull = new double[n];
            INDArray logits = withLogits ? m.ends().newLogits(x, n) : null;      // [B*T, V]
            m.branch(x.dup('c'), batch, t, full, win.targets(), ceFull, logits);
            boolean[][] labels = new boolean[batch][];
            for (int b = 0; b < batch; b++) {
                labels[b] = m.labeler().labelsOf(SharcsLm.meanProbability(ceFull, b * t, t));
            }
            RouterLoss.Result acc = RouterLoss.compute(logitsR, labels, perToken ? t : 1, 0.0);
            double[] ce = ceFull.clone();
            int[] tokenWidth = new int[n];
            java.util.Arrays.fill(tokenWidth, full.index());
            double[] macs = new double[n];
            double trunkAndRouter = m.routerMacsPerToken(t) + c.sharcs().startLayer()
                    * (double) FlopCount.denseLayerMacsPerToken(c, t);
            java.util.Arrays.fill(macs, trunkAndRouter);
            if (perToken) {
                perTokenPasses(x, win.targets(), batch, t, routed, ce, tokenWidth, macs, logits);
            } else {
                prefixPasses(x, win.targets(), batch, t, routed, ce, tokenWidth, macs, logits);
            }
            Map<String, Double> s = new LinkedHashMap<>();
            double sum = 0;
            double flopsSum = 0;
            double widthSum = 0;
            double[][] perWidth = new double[widths.size()][3];                 // tokens, CE, FLOPs
            for (int i = 0; i < n; i++) {
                double flops = 2 * macs[i];
                sum += ce[i];
                flopsSum += flops;
                Width w = widths.get(tokenWidth[i]);
                widthSum += w.fraction();
                perWidth[w.index()][0]++;
                perWidth[w.index()][1] += ce[i];
                perWidth[w.index()][2] += flops;
                m.recordCompute("width", w.fraction(), 1);
                m.recordCompute("flops", flops, 1);
            }
            for (Width w : widths) {
                s.put("width_tokens/" + w.label(), perWidth[w.index()][0] / n);
                s.put("width_ce/" + w.label(), perWidth[w.index()][1] / n);
                s.put("width_flops/" + w.label(), perWidth[w.index()][2] / n);
                if (!perToken) {
                    long windows = java.util.Arrays.stream(routed).filter(r -> r == w.index()).count();
                    s.put("width_windows/" + w.label(), windows / (double) n);
                }
            }
            s.put("router_correct", acc.correct() / (double) n);
            s.put("router_rows", acc.rows() / (double) n);
            s.put("flops_per_token", flopsSum / n);
            s.put("width_mean", widthSum / n);
            INDArray out = withLogits ? m.ends().detachLogits(logits, batch, t) : null;  // [B, T, V]
            return new EvalStats(sum, n, 0.0, out, s);
        }
    }

    /**
     * Prefix pooling: windows routed to a narrower width w run layers r.. at w over all T positions;
     * their positions >= P' take those predictions. Positions < P' keep the full-width ones.
     */
    private void prefixPasses(INDArray x, int[] targets, int batch, int t, int[] routed, double[] ce,
                              int[] tokenWidth, double[] macs, INDArray logits) {
        int p = Math.min(m.settings().prefixLength(), t);
        Width full = m.widths().get(m.widths().size() - 1);
        double fullPerToken = narrowBlocks(full, t);                         // layers r.. at full width
        double fullPrefix = narrowBlocks(full, p);
        for (Width w : m.widths()) {
            List<Integer> windows = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                if (routed[b] == w.index()) {
                    windows.add(b);
                }
            }
            if (windows.isEmpty()) {
                continue;
            }
            if (w.full() || p == t) {
                // Full width, or a window no longer than the prefix: every position is predicted at full width.
                for (int b : windows) {
                    for (int i = b * t; i < (b + 1) * t; i++) {
                        macs[i] += fullPerToken;
                    }
                }
                continue;
            }
            Pass pass = run(x, targets, windows, t, t, w, logits != null);
            double perToken = narrowBlocks(w, t);
            for (int k = 0; k < windows.size(); k++) {
                int b = windows.get(k);
                for (int pos = 0; pos < t; pos++) {
                    int i = b * t + pos;
                    macs[i] += perToken + (pos < p ? fullPrefix : 0);
                    if (pos >= p) {
                        ce[i] = pass.rowLoss()[k * t + pos];
                        tokenWidth[i] = w.index();
                    }
                }
                if (logits != null && p < t) {
                    Views.rows(logits, (long) b * t + p, t - p).assign(Views.rows(pass.logits(), (long) k * t + p, t - p));
                }
            }
        }
    }

    /**
     * Per-token pooling: for each width, the windows with a position routed to it run layers r.. at
     * that width over positions 0..last (last = the latest such position over those windows).
     */
    private void perTokenPasses(INDArray x, int[] targets, int batch, int t, int[] routed, double[] ce,
                                int[] tokenWidth, double[] macs, INDArray logits) {
        for (Width w : m.widths()) {
            List<Integer> windows = new ArrayList<>();
            int[] last = new int[batch];
            int len = 0;
            for (int b = 0; b < batch; b++) {
                last[b] = -1;
                for (int pos = 0; pos < t; pos++) {
                    if (routed[b * t + pos] == w.index()) {
                        last[b] = pos;
                    }
                }
                if (last[b] >= 0) {
                    windows.add(b);
                    len = Math.max(len, last[b] + 1);
                }
            }
            if (windows.isEmpty()) {
                continue;
            }
            // Inference runs width w over each window's positions 0..last: those are its FLOPs.
            for (int b : windows) {
                double perToken = narrowBlocks(w, last[b] + 1);
                for (int pos = 0; pos <= last[b]; pos++) {
                    macs[b * t + pos] += perToken;
                }
            }
            if (w.full()) {
                continue;                                                        // ce already holds these
            }
            Pass pass = run(x, targets, windows, t, len, w, logits != null);
            for (int k = 0; k < windows.size(); k++) {
                int b = windows.get(k);
                for (int pos = 0; pos <= last[b]; pos++) {
                    int i = b * t + pos;
                    if (routed[i] == w.index()) {
                        ce[i] = pass.rowLoss()[k * len + pos];
                        tokenWidth[i] = w.index();
                        if (logits != null) {
                            Views.rows(logits, i, 1).assign(Views.rows(pass.logits(), (long) k * len + pos, 1));
                        }
                    }
                }
            }
        }
    }

    /** A width pass's per-row CE and logits (rows: the pass's windows x its length). */
    private record Pass(double[] rowLoss, INDArray logits) {}

    /** Layers r.. at width w on positions [0, len) of the listed windows (their rows of x gathered). */
    private Pass run(INDArray x, int[] targets, List<Integer> windows, int t, int len, Width w, boolean withLogits) {
        int nb = windows.size();
        INDArray xb = Nd4j.createUninitialized(x.dataType(), (long) nb * len, w.dModel()); // [nb*len, dW]
        int[] tg = new int[nb * len];
        for (int k = 0; k < nb; k++) {
            int b = windows.get(k);
            Views.rows(xb, (long) k * len, len).assign(Views.block(x, (long) b * t, len, w.dModel()));
            System.arraycopy(targets, b * t, tg, k * len, len);
        }
        double[] rowLoss = new double[nb * len];
        INDArray logits = withLogits ? m.ends().newLogits(x, (long) nb * len) : null;  // [nb*len, V]
        m.branch(xb, nb, len, w, tg, rowLoss, logits);
        return new Pass(rowLoss, logits);
    }

    /** MACs per token of layers r.. at width w over {@code len} positions. */
    private double narrowBlocks(Width w, int len) {
        return (c.nLayers() - c.sharcs().startLayer()) * (double) FlopCount.widthLayerMacsPerToken(c, w, len);
    }
}
