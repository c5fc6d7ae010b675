package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.tensor.Ops;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SutLmTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int STEPS = 4;

    static ModelConfig tiny(double tau, boolean referenceSign) {
        return ModelConfig.builder().family("sut").vocabSize(13).dModel(8).nLayers(STEPS).nHeads(2).dHead(4)
                .contextLength(16).sut(new SutSettings(4, 3, 2, 3, 2, tau, 0.3, 0.2, referenceSign)).build();
    }

    static int[] tokens(long seed, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[B * (T + 1)];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    static int[] inputs(int[] tok) {
        int[] in = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(tok, b * (T + 1), in, b * T, T);
        }
        return in;
    }

    /** A double model with random parameters (the halting gate's zero init included) and its params copied. */
    static SutLm randomModel(double tau, boolean referenceSign, long seed) {
        SutLm m = (SutLm) ModelFactory.create(tiny(tau, referenceSign), 3, DataType.DOUBLE);
        GradCheck.randomizeParams(m.params(), seed, 0.9);
        return m;
    }

    /**
     * A tau (and its model) where the threshold cuts: some tokens halt before the last step, some run
     * past step 2, and no Pi_l and no router top-k gap is within 1e-4 of flipping.
     */
    static SutLm raggedModel(int[] tok, boolean referenceSign) {
        return modelWhere(tok, referenceSign, new double[] {0.6, 0.7, 0.8, 0.5, 0.9, 0.4},
                depth -> Arrays.stream(depth).anyMatch(x -> x < STEPS) && Arrays.stream(depth).anyMatch(x -> x > 2)
                        && Arrays.stream(depth).distinct().count() >= 2);
    }

    /** The first (seed, tau) whose halting depths satisfy {@code pattern}, with no decision near flipping. */
    static SutLm modelWhere(int[] tok, boolean referenceSign, double[] taus, java.util.function.Predicate<int[]> pattern) {
        for (long seed = 4; seed < 40; seed++) {
            for (double tau : taus) {
                SutLm m = randomModel(tau, referenceSign, seed);
                double[] margins = m.probeMargins(tok, B, T + 1);
                int[] depth = new SutReference(m.config(), m.params()).run(inputs(tok), B, T, tau).depth();
                if (pattern.test(depth) && margins[0] > 1e-4 && margins[1] > 1e-4) {
                    return m;
                }
            }
        }
        throw new AssertionError("no seed gives the halting pattern with safe margins");
    }

    /** Every token halts before the last step: the steps that run nothing still carry Pi and D. */
    @Test
    void gradientWhenEveryTokenHaltsBeforeTheLastStep() {
        int[] tok = tokens(10, 13);
        SutLm m = modelWhere(tok, false, new double[] {0.3, 0.4, 0.5, 0.2},
                depth -> Arrays.stream(depth).max().orElseThrow() < STEPS - 1 && Arrays.stream(depth).max().orElseThrow() > 1);
        m.params().zeroGrads();
        StepStats st = m.forwardBackward(tok, B, T + 1);
        SutReference.Result ref = new SutReference(m.config(), m.params()).run(inputs(tok), B, T,
                m.config().sut().haltingThreshold());
        assertEquals(0.3 * ref.act(), st.scalars().get("act_loss"), 1e-12, "ACT runs on through the empty steps");
        DirectionalGradCheck.checkAllParams(m.params(), () -> {
            EvalStats e = m.evaluate(tok, B, T + 1, false, true);
            return e.meanLoss() + e.auxLoss();
        });
    }

    /** The compacted, cached, carried implementation equals MODELS.md's recurrence computed literally. */
    @Test
    void haltingStepsEqualTheLiteralRecurrence() {
        int[] tok = tokens(5, 13);
        SutLm m = raggedModel(tok, false);
        double tau = m.config().sut().haltingThreshold();
        EvalStats ev = m.evaluate(tok, B, T + 1, true, true);
        SutReference.Result ref = new SutReference(m.config(), m.params()).run(inputs(tok), B, T, tau);
        INDArray logits = ev.logits().reshape(B * T, 13);
        for (int i = 0; i < B * T; i++) {
            for (int v = 0; v < 13; v++) {
                assertEquals(ref.logits()[i][v], logits.getDouble(i, v), 1e-9, "logit " + i + "," + v);
            }
        }
        double meanDepth = Arrays.stream(ref.depth()).average().orElseThrow();
        assertEquals(meanDepth, ev.scalars().get("mean_depth"), 1e-12);
        assertEquals(ref.act() + 1, ev.scalars().get("expected_depth"), 1e-12);
        assertEquals(0.3 * ref.act(), ev.scalars().get("act_loss"), 1e-12);
        Map<String, Histogram> h = m.drainComputeHistograms();
        assertEquals(B * T, h.get("depth").count());
        assertEquals(meanDepth, h.get("depth").mean(), 1e-12);
        assertEquals(2 * ev.scalars().get("executed_macs_per_token"), h.get("flops").mean(), 1e-6);
        assertTrue(m.drainComputeHistograms().isEmpty(), "drained");
    }

    /** tau = 1 never halts; with a gate that gives alpha ~ 0 the model is a plain weight-shared stack. */
    @Test
    void tauOneEqualsAPlainWeightSharedStackWithTheSameRouters() {
        int[] tok = tokens(6, 13);
        SutLm m = randomModel(1.0, false, 11);
        m.evaluate(tok, B, T + 1, false);
        assertEquals(STEPS, m.drainComputeHistograms().get("depth").mean(), 0.0, "tau = 1 never halts");
        // alpha = sigmoid(z1 - z0) = e^-80: W1 = 0, b1 = 5 (GELU(5) = 5 to 1e-6), z0 = 2 sum_i 5
        INDArray w1 = m.params().value("layer.halt.hidden.weight");
        w1.assign(0);
        m.params().value("layer.halt.hidden.bias").assign(5.0);
        INDArray w2 = m.params().value("layer.halt.out.weight");
        w2.assign(0);
        dev.ponder.core.routing.Views.rows(w2, 0, 1).assign(2.0);              // row 0: log(1 - alpha)
        EvalStats ev = m.evaluate(tok, B, T + 1, true);
        double[][] plain = new SutReference(m.config(), m.params()).plainStack(inputs(tok), B, T);
        INDArray logits = ev.logits().reshape(B * T, 13);
        for (int i = 0; i < B * T; i++) {
            for (int v = 0; v < 13; v++) {
                assertEquals(plain[i][v], logits.getDouble(i, v), 1e-9, "logit " + i + "," + v);
            }
        }
        assertEquals(STEPS, ev.scalars().get("expected_depth"), 1e-9, "Pi stays 1: every step fully counted");
    }

    /** Whole model, double precision, a halting pattern the threshold cuts: CE + ACT + both MI losses. */
    @Test
    void wholeModelGradientMatchesFiniteDifferencesWithHalting() {
        int[] tok = tokens(7, 13);
        for (boolean referenceSign : new boolean[] {false, true}) {
            SutLm m = raggedModel(tok, referenceSign);
            m.params().zeroGrads();
            StepStats st = m.forwardBackward(tok, B, T + 1);
            EvalStats ev = m.evaluate(tok, B, T + 1, false, true);
            assertEquals(st.ceLoss(), ev.meanLoss(), 1e-12);
            assertEquals(st.auxLoss(), ev.auxLoss(), 1e-12);
            assertEquals(st.auxLoss(), st.scalars().get("act_loss") + st.scalars().get("mi_attention")
                    + st.scalars().get("mi_ffn"), 1e-12);
            assertEquals(0.0, m.evaluate(tok, B, T + 1).auxLoss(), "no auxiliary loss in evaluation mode");
            DoubleSupplier loss = () -> {
                EvalStats e = m.evaluate(tok, B, T + 1, false, true);
                return e.meanLoss() + e.auxLoss();
            };
            if (!referenceSign) {
                GradCheck.checkAllParams(m.params(), loss, 3);
            }
            DirectionalGradCheck.checkAllParams(m.params(), loss);
        }
    }

    @Test
    void referenceSignFlipsOnlyTheMarginalEntropyTerm() {
        int[] tok = tokens(8, 13);
        SutLm a = randomModel(0.7, false, 12);
        SutLm b = randomModel(0.7, true, 12);
        Map<String, Double> sa = a.evaluate(tok, B, T + 1, false, true).scalars();
        Map<String, Double> sb = b.evaluate(tok, B, T + 1, false, true).scalars();
        // -MI = H(E|X) - H(E) vs H(E|X) + H(E): the difference is 2 coef H(E) > 0
        assertTrue(sb.get("mi_ffn") - sa.get("mi_ffn") > 1e-3, sa + " vs " + sb);
        assertTrue(sa.get("mi_ffn") <= 1e-12, "-MI <= 0");
        assertEquals(sa.get("act_loss"), sb.get("act_loss"), 0.0);
    }

    /**
     * Halted tokens get no expert work: per step, the slots the dispatcher ran are k per running
     * token; and every multiply-add the process ran (all gemms, counted by the matmul probe) is the
     * per-token count of running rows plus the LM head, RoPE's swap gemms and the attention's padding
     * rows (sequences with fewer running tokens than the busiest one).
     */
    @Test
    void haltedTokensReceiveNoExpertWork() {
        int[] tok = tokens(9, 13);
        SutLm m = raggedModel(tok, false);
        m.drainRoutingStats();
        Ops.MatmulProbe probe = new Ops.MatmulProbe();
        Ops.setMatmulProbe(probe);
        EvalStats ev;
        try {
            // the per-expert loop runs exactly the routed rows (the batched path adds padding rows)
            ev = dev.ponder.core.routing.ExpertMatmul.withPerExpertLoop(() -> m.evaluate(tok, B, T + 1, false));
        } finally {
            Ops.setMatmulProbe(null);
        }
        int[] depth = new SutReference(m.config(), m.params()).run(inputs(tok), B, T,
                m.config().sut().haltingThreshold()).depth();
        RoutingStats rs = m.drainRoutingStats();
        int n = B * T;
        long ropeRows = n;                                              // the first key/value cache fill
        long padding = 0;
        for (int l = 1; l <= STEPS; l++) {
            final int step = l;
            int running = (int) Arrays.stream(depth).filter(x -> x >= step).count();
            int most = 0;
            int keys = 0;
            for (int b = 0; b < B; b++) {
                int c = 0;
                for (int t = 0; t < T; t++) {
                    if (depth[b * T + t] >= step) {
                        c++;
                        keys = Math.max(keys, t + 1);
                    }
                }
                most = Math.max(most, c);
            }
            padding += 2L * (B * most - running) * 2 * 2 * keys * 4;     // (rows) x k x heads, scores and values
            int previous = (int) Arrays.stream(depth).filter(x -> x >= step - 1).count();
            for (String module : new String[] {"layer.attention", "layer.ffn"}) {
                RoutingStats.Load load = rs.load(module, l - 1);
                assertEquals(2L * running, load.slots(), module + " step " + l);
                assertEquals(n, load.tokens());
                assertEquals(n - running, load.executedPerToken()[0], "halted tokens ran no expert");
            }
            ropeRows += 2L * running;                                    // queries: k = 2 slots per running token
            if (l >= 2 && running > 0) {
                ropeRows += previous;                                    // keys rewritten from s_{l-1}
            }
        }
        double executed = ev.scalars().get("executed_macs_per_token") * n;
        long head = (long) n * 8 * 13;
        long rope = ropeRows * 2 * 4 * 4;                                // rows x heads x dh x dh
        assertEquals(executed + head + rope + padding, probe.macs(), 1e-6);
        // with tau = 1 every token runs every step: executed == analytic (the convention's full T x T)
        SutLm full = randomModel(1.0, false, 13);
        Map<String, Double> s = full.evaluate(tok, B, T + 1, false).scalars();
        assertEquals(s.get("analytic_macs_per_token"), s.get("executed_macs_per_token"), 1e-9);
        assertTrue(executed / n < s.get("executed_macs_per_token"), "halting saved work");
    }

    @Test
    void lossDropsWhenTrainingOnARepeatingSequence() {
        ModelConfig c = ModelConfig.builder().family("sut").vocabSize(16).dModel(32).nLayers(4).nHeads(2).dHead(16)
                .contextLength(32).sut(new SutSettings(8, 32, 2, 4, 2, 0.9, 0.01, 0.001, false)).build();
        LanguageModel m = ModelFactory.create(c, 4);
        int seqPlusOne = 17;
        int batch = 4;
        int[] tok = new int[batch * seqPlusOne];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqPlusOne; i++) {
                tok[b * seqPlusOne + i] = (b + i * 3) % 7;
            }
        }
        dev.ponder.core.optim.AdamW opt = new dev.ponder.core.optim.AdamW(m.params(),
                new dev.ponder.core.optim.AdamW.Config(0.9, 0.99, 1e-8, 0.01));
        double first = 0;
        double last = 0;
        for (int step = 0; step < 25; step++) {
            m.params().zeroGrads();
            StepStats s = m.forwardBackward(tok, batch, seqPlusOne);
            dev.ponder.core.optim.GradClip.clipByGlobalNorm(m.params().grads(), 0.5);
            opt.step(1e-2);
            first = step == 0 ? s.ceLoss() : first;
            last = s.ceLoss();
        }
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }

    @Test
    void parameterNamesAndAnalyticMacs() {
        ModelConfig c = tiny(0.999, false);
        LanguageModel m = ModelFactory.create(c, 1);
        java.util.List<String> names = m.params().specs().stream().map(dev.ponder.core.params.ParamSpec::name).toList();
        assertTrue(names.containsAll(java.util.List.of("embedding.weight", "layer.halt.hidden.weight",
                "layer.halt.out.weight", "layer.ln1.weight", "layer.attention.router.hidden.weight",
                "layer.attention.router.out.weight", "layer.attention.q", "layer.attention.o",
                "layer.attention.k.weight", "layer.attention.v.weight", "layer.ffn.up", "layer.ffn.up_bias",
                "layer.ffn.down", "layer.ffn.down_bias", "out_norm.weight", "lm_head.bias")), names.toString());
        assertArrayEquals(new long[] {3, 8, 8}, m.params().layout().spec("layer.attention.q").shape());
        assertEquals(0.0, m.params().value("layer.halt.out.weight").sumNumber().doubleValue(), "zero init");
        // per step: attention 64 + 24 + 2*2*8*8 + 2*8*8 + 2*T*2*8, ffn 64 + 32 + 2*2*8*3; gate 64 + 16
        long t = 10;
        long step = (64 + 24 + 256 + 128 + 32 * t) + (64 + 32 + 96);
        assertEquals(STEPS * step + (STEPS - 1) * 80, m.analyticMacsPerToken((int) t));
    }
}
