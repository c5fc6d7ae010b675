package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.core.width.WidthLabels;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SharcsLmTest {
    private static final int B = 3;
    private static final int T = 6;

    /**
     * Widths 0.5 and 1.0 of d 8, 2 heads of 4, d_ff 16; layer 0 at full width, layers 1-2 sliced;
     * history of 2 visits; 0.5 for confidences in [0, 0.3), 1.0 for [0.2, 1].
     */
    static ModelConfig small(CausalPool.Mode pool, double routerLoss) {
        return ModelConfig.builder().family("sharcs").vocabSize(11).dModel(8).nLayers(3).nHeads(2).dHead(4).dFf(16)
                .contextLength(16).sharcs(new SharcsSettings(List.of(0.5, 1.0), 1, 6, pool, 3, 2,
                        List.of(new WidthLabels.Range(0.0, 0.3), new WidthLabels.Range(0.2, 1.0)), routerLoss))
                .build();
    }

    static int[] tokens(long seed, int vocab, int batch, int seqLenPlusOne) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[batch * seqLenPlusOne];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** A history in which window b has had {@code visits} visits, all at confidence conf[b]. */
    static ConfidenceHistory history(int[] tok, int window, double... conf) {
        ConfidenceHistory h = new ConfidenceHistory(window);
        ConfidenceHistory.Visits v = new ConfidenceHistory.Visits();
        for (int b = 0; b < conf.length; b++) {
            for (int k = 0; k < window; k++) {
                v.add(SharcsLm.windowKey(tok, b, T + 1), conf[b]);
            }
        }
        h.apply(v);
        return h;
    }

    /** Checks every tensor against the objective with the labels the step saw ({@code history} before it). */
    private static void gradCheck(SharcsLm m, int[] tok, int maxEntries, ConfidenceHistory history) {
        m.useSampleHistory(history);
        m.params().zeroGrads();
        StepStats st = m.forwardBackward(tok, B, T + 1);
        m.useSampleHistory(history);                                       // forget the visit the step recorded
        assertEquals(st.totalLoss(), m.trainingObjective(tok, B, T + 1), 1e-12);
        GradCheck.checkAllParams(m.params(), () -> m.trainingObjective(tok, B, T + 1), maxEntries);
    }

    @Test
    void gradientsAtFullWidthMatchFiniteDifferences() {
        SharcsLm m = new SharcsLm(small(CausalPool.Mode.PREFIX, 1.0), 3, DataType.DOUBLE);
        int[] tok = tokens(5, 11, B, T + 1);
        gradCheck(m, tok, 6, new ConfidenceHistory(2));
        assertEquals(1.0, m.drainComputeHistograms().get("width").mean(), 0);
    }

    /**
     * Windows 0 and 2 train at width 0.5 (labels {0.5} and a pick from {0.5, 1.0}), window 1 at full
     * width: two buckets, the narrow LayerNorms and the sliced blocks of every tensor take part.
     */
    @Test
    void gradientsAtReducedAndMixedWidthsMatchFiniteDifferences() {
        for (CausalPool.Mode pool : CausalPool.Mode.values()) {
            SharcsLm m = new SharcsLm(small(pool, 1.0), 3, DataType.DOUBLE);
            int[] tok = tokens(6, 11, B, T + 1);
            m.useSampleHistory(history(tok, 2, 0.1, 0.9, 0.25));
            m.params().zeroGrads();
            StepStats st = m.forwardBackward(tok, B, T + 1);
            double share = st.scalars().get("width_share/0.5");
            assertTrue(share == 1.0 / 3 || share == 2.0 / 3, "width 0.5 share " + share);
            gradCheck(m, tok, 5, history(tok, 2, 0.1, 0.9, 0.25));
            assertTrue(m.params().grad("layers.1.ln1_w0p5.weight").sumNumber().doubleValue() != 0);
            assertTrue(m.params().grad("out_norm_w0p5.bias").sumNumber().doubleValue() != 0);
        }
    }

    private static void copyShared(ParamStore from, ParamStore to) {
        for (ParamSpec s : from.specs()) {
            to.value(s.name()).assign(from.value(s.name()));
        }
    }

    @Test
    void fullWidthIsTheDenseModelOnTheSameParameters() {
        ModelConfig sc = small(CausalPool.Mode.PREFIX, 0.0);
        ModelConfig dc = sc.toBuilder().family("dense").sharcs(null).build();
        DenseLm dense = new DenseLm(dc, 8, DataType.DOUBLE);
        SharcsLm sharcs = new SharcsLm(sc, 9, DataType.DOUBLE);
        copyShared(dense.params(), sharcs.params());
        int[] tok = tokens(3, 11, B, T + 1);
        EvalStats d = dense.evaluate(tok, B, T + 1, true);
        EvalStats s = sharcs.evaluateAtWidth(tok, B, T + 1, 1.0, true);
        assertTrue(d.logits().equalsWithEps(s.logits(), 1e-12), "logits");
        assertEquals(d.ceSum(), s.ceSum(), 1e-12);
        // Training: every window is new, so all train at full width; no router loss -> same gradients.
        dense.params().zeroGrads();
        sharcs.params().zeroGrads();
        StepStats ds = dense.forwardBackward(tok, B, T + 1);
        StepStats ss = sharcs.forwardBackward(tok, B, T + 1);
        assertEquals(ds.ceLoss(), ss.ceLoss(), 1e-12);
        for (ParamSpec p : dense.params().specs()) {
            assertTrue(dense.params().grad(p.name()).equalsWithEps(sharcs.params().grad(p.name()), 1e-12), p.name());
        }
        // With the router loss on, only the trunk (layer 0, embedding) sees the router's gradient.
        SharcsLm routed = new SharcsLm(small(CausalPool.Mode.PREFIX, 1.0), 9, DataType.DOUBLE);
        copyShared(dense.params(), routed.params());
        routed.params().zeroGrads();
        StepStats rs = routed.forwardBackward(tok, B, T + 1);
        assertEquals(ds.ceLoss(), rs.ceLoss(), 1e-12);
        assertTrue(rs.auxLoss() > 0);
        for (ParamSpec p : dense.params().specs()) {
            boolean trunk = p.name().startsWith("layers.0.") || p.name().startsWith("embedding");
            boolean same = dense.params().grad(p.name()).equalsWithEps(routed.params().grad(p.name()), 1e-12);
            assertEquals(!trunk, same, p.name());
        }
    }

    /** The router picks width 0.5 (index 0) or 1.0 (index 1) for every window, through its output bias. */
    private static void forceRoute(SharcsLm m, int width) {
        m.params().value("router.fc2.weight").assign(0);
        m.params().value("router.fc2.bias").assign(0).putScalar(width, 10.0);
    }

    @Test
    void prefixRoutingPredictsThePrefixAtFullWidthAndTheRestAtTheRoutedWidth() {
        SharcsLm m = new SharcsLm(small(CausalPool.Mode.PREFIX, 1.0), 4, DataType.DOUBLE);
        int[] tok = tokens(7, 11, B, T + 1);
        INDArray full = m.evaluateAtWidth(tok, B, T + 1, 1.0, true).logits();
        INDArray half = m.evaluateAtWidth(tok, B, T + 1, 0.5, true).logits();
        forceRoute(m, 1);
        EvalStats atFull = m.evaluate(tok, B, T + 1, true);
        assertTrue(atFull.logits().equalsWithEps(full, 1e-12));
        forceRoute(m, 0);
        EvalStats routed = m.evaluate(tok, B, T + 1, true);
        int p = 3;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                INDArray expect = (t < p ? full : half).get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all());
                INDArray got = routed.logits().get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all());
                assertTrue(expect.equalsWithEps(got, 1e-12), "window " + b + " position " + t);
            }
        }
        assertEquals(B * (T - p) / (double) (B * T), routed.scalars().get("width_tokens/0.5"), 1e-12);
        assertEquals(B / (double) (B * T), routed.scalars().get("width_windows/0.5"), 1e-12);
        // FLOPs: full width over the P prefix tokens and width 0.5 over all T, per token on average
        ModelConfig c = m.config();
        var w = m.widths();
        double expect = 2 * (FlopCount.denseLayerMacsPerToken(c, T) + m.routerMacsPerToken(T)
                + 2 * FlopCount.widthLayerMacsPerToken(c, w.get(0), T)
                + 2.0 * p / T * FlopCount.widthLayerMacsPerToken(c, w.get(1), p));
        assertEquals(expect, routed.scalars().get("flops_per_token"), 1e-9);
        assertTrue(routed.scalars().get("flops_per_token") < atFull.scalars().get("flops_per_token"));
    }

    /**
     * Causality of routed inference: changing the token at position j leaves every prediction at a
     * position before j unchanged, including when the change moves the window to another width.
     */
    @Test
    void routedPredictionsNeverDependOnLaterTokens() {
        for (CausalPool.Mode pool : CausalPool.Mode.values()) {
            SharcsLm m = new SharcsLm(small(pool, 1.0), 11, DataType.DOUBLE);
            m.params().value("router.fc1.weight").muli(8);                  // a router that reacts to every token
            m.params().value("router.fc2.weight").muli(8);
            int[] tok = tokens(12, 11, B, T + 1);
            int routeChanges = 0;
            for (int j = 0; j < T; j++) {
                for (int v = 0; v < 11; v++) {
                    int[] changed = tok.clone();
                    changed[j] = v;                                          // window 0, input position j
                    if (changed[j] == tok[j]) {
                        continue;
                    }
                    INDArray before = m.evaluate(tok, B, T + 1, true).logits();
                    INDArray after = m.evaluate(changed, B, T + 1, true).logits();
                    for (int t = 0; t < j; t++) {
                        assertTrue(before.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all())
                                        .equalsWithEps(after.get(NDArrayIndex.point(0), NDArrayIndex.point(t),
                                                NDArrayIndex.all()), 1e-12),
                                pool + ": position " + t + " changed with the token at " + j);
                    }
                    if (!java.util.Arrays.equals(m.route(tok, B, T + 1), m.route(changed, B, T + 1))) {
                        routeChanges++;
                    }
                }
            }
            assertTrue(routeChanges > 0, pool + ": no perturbation changed a width; the test would prove nothing");
        }
    }

    /**
     * A prefix as long as the window: the width is known only after the last token, so every
     * position is predicted at full width (no saving, but nothing routed sees the future).
     */
    @Test
    void aPrefixAsLongAsTheWindowIsStillCausalBecauseItIsPredictedAtFullWidth() {
        ModelConfig c = small(CausalPool.Mode.PREFIX, 1.0).toBuilder().sharcs(new SharcsSettings(List.of(0.5, 1.0), 1, 6,
                CausalPool.Mode.PREFIX, T, 2, List.of(new WidthLabels.Range(0.0, 0.3), new WidthLabels.Range(0.2, 1.0)),
                1.0)).build();
        SharcsLm m = new SharcsLm(c, 4, DataType.DOUBLE);
        forceRoute(m, 0);
        int[] tok = tokens(7, 11, B, T + 1);
        EvalStats e = m.evaluate(tok, B, T + 1, true);
        assertTrue(e.logits().equalsWithEps(m.evaluateAtWidth(tok, B, T + 1, 1.0, true).logits(), 1e-12));
        assertEquals(1.0, e.scalars().get("width_mean"), 0);
    }

    @Test
    void visitsRecordTheMeanNextTokenProbabilityAndLabelsFollowAfterTheHistoryWindow() {
        SharcsLm m = new SharcsLm(small(CausalPool.Mode.PREFIX, 1.0), 5, DataType.DOUBLE);
        int[] tok = tokens(8, 11, B, T + 1);
        INDArray logits = m.evaluateAtWidth(tok, B, T + 1, 1.0, true).logits();
        m.forwardBackward(tok, B, T + 1);
        ConfidenceHistory.Visits v = m.drainSampleVisits();
        assertEquals(B, v.windows());
        for (int b = 0; b < B; b++) {
            double p = 0;
            for (int t = 0; t < T; t++) {
                INDArray z = logits.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all());
                double lse = Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(z, true).sumNumber().doubleValue());
                p += Math.exp(z.getDouble(tok[b * (T + 1) + t + 1]) - lse);
            }
            assertEquals(p / T, v.of(SharcsLm.windowKey(tok, b, T + 1))[0], 1e-6, "window " + b);
        }
        assertTrue(m.drainSampleVisits().isEmpty());
        m.drainComputeHistograms();
        // A random model is unsure (confidence ~ 1/11 < 0.2): after 2 visits every window is labelled 0.5 only.
        m.forwardBackward(tok, B, T + 1);
        Map<String, Histogram> h = m.drainComputeHistograms();
        assertEquals(1.0, h.get("width").mean(), 0, "second visit: still inside the history window");
        StepStats third = m.forwardBackward(tok, B, T + 1);
        assertEquals(1.0, third.scalars().get("width_share/0.5"), 0);
        assertEquals(0.5, m.drainComputeHistograms().get("width").mean(), 0);
        assertEquals(B * T, (long) h.get("flops").count());
    }

    /**
     * Compute shrinks: the matmuls of the sub-network at width 0.5 are those of a dense model of the
     * sliced shapes (d 4, 1 head, d_ff 8): the difference to full width is the same, multiply-add for
     * multiply-add, as between two dense models of the two shapes.
     */
    @Test
    void aNarrowSubNetworkRunsMatmulsOnTheSlicedShapesOnly() {
        ModelConfig sc = small(CausalPool.Mode.PREFIX, 1.0);
        SharcsLm m = new SharcsLm(sc, 2, DataType.FLOAT);
        int[] tok = tokens(9, 11, B, T + 1);
        double narrow = probeMacs(() -> m.evaluateAtWidth(tok, B, T + 1, 0.5, false));
        double wide = probeMacs(() -> m.evaluateAtWidth(tok, B, T + 1, 1.0, false));
        ModelConfig small = ModelConfig.builder().vocabSize(11).dModel(4).nLayers(2).nHeads(1).dHead(4).dFf(8)
                .contextLength(16).build();
        ModelConfig big = small.toBuilder().dModel(8).nHeads(2).dFf(16).build();
        double denseSmall = probeMacs(() -> ModelFactory.create(small, 1).evaluate(tok, B, T + 1));
        double denseBig = probeMacs(() -> ModelFactory.create(big, 1).evaluate(tok, B, T + 1));
        assertEquals(denseBig - denseSmall, wide - narrow, 0.0);
        assertTrue(narrow < wide);
    }

    private static double probeMacs(Runnable r) {
        dev.ponder.core.tensor.Ops.MatmulProbe probe = new dev.ponder.core.tensor.Ops.MatmulProbe();
        dev.ponder.core.tensor.Ops.setMatmulProbe(probe);
        try {
            r.run();
        } finally {
            dev.ponder.core.tensor.Ops.setMatmulProbe(null);
        }
        return probe.macs();
    }

    @Test
    void parameterNamesExtendTheDenseOnes() {
        SharcsLm m = new SharcsLm(small(CausalPool.Mode.PREFIX, 1.0), 1, DataType.FLOAT);
        List<String> names = m.params().specs().stream().map(ParamSpec::name).toList();
        assertTrue(names.containsAll(List.of("layers.1.ln1_w0p5.weight", "layers.2.ln2_w0p5.bias",
                "out_norm_w0p5.weight", "router.fc1.weight", "router.fc2.bias", "out_norm.weight", "lm_head.weight")));
        assertFalse(names.contains("layers.0.ln1_w0p5.weight"), "layers before sharcs_start_layer have no narrow norms");
        assertNotEquals(0, m.params().value("router.fc1.bias").sumNumber().doubleValue());
    }
}
