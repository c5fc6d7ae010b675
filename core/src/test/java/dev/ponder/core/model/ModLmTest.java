package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.params.ParamStore;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ModLmTest {
    private static final int B = 2;
    private static final int T = 8;

    static ModSettings mod(String block, double capacity, int every, String scale) {
        return new ModSettings(block, capacity, every, scale, 5, 0.3, "predictor");
    }

    /** A 4-layer model of the given block kind: routed blocks 1 and 3 with mod_every 2. */
    static ModelConfig tiny(ModSettings m) {
        ModelConfig.Builder b = ModelConfig.builder().family("mod").vocabSize(11).dModel(8).nLayers(4).nHeads(2)
                .dHead(4).dFf(16).contextLength(16).mod(m);
        if (m.block().equals("moe")) {
            b.moe(new MoeSettings(4, 2, 6, 0.0, true, 0.05, 0.01));
        }
        if (m.block().equals("moeut")) {
            // 6 applications of 2 shared layers; mod_every 3 routes applications 2 and 5, so each
            // shared layer runs both over all T tokens and over C tokens per sequence
            b.nLayers(6).moeut(new MoeutSettings(2, 6, 3, 2, 3, 2, 0.5, 0.3, 0.0, 0.0, 0.0));
        }
        return b.build();
    }

    static int[] tokens(long seed, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[B * (T + 1)];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    static int[] distinctTokens(long seed, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[B * (T + 1)];
        for (int b = 0; b < B; b++) {
            int[] perm = java.util.stream.IntStream.range(0, vocab).toArray();
            for (int i = vocab - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            System.arraycopy(perm, 0, t, b * (T + 1), T + 1);
        }
        return t;
    }

    /** Training loss as a pure function of the parameters: top-C routing, every auxiliary loss. */
    private static double trainingLoss(ModLm m, int[] tok) {
        EvalStats e = m.evaluate(tok, B, T + 1, false, true);
        return e.meanLoss() + e.auxLoss();
    }

    /**
     * The same without the predictor's BCE: the predictor reads x through a stop-gradient, so every
     * other tensor's gradient is that of this loss (the BCE still moves when x does).
     */
    private static double mainLoss(ModLm m, int[] tok) {
        EvalStats e = m.evaluate(tok, B, T + 1, false, true);
        return e.meanLoss() + e.scalars().get("blocks_aux_loss");   // not aux - predictor: that cancels
    }

    private static void gradCheck(ModSettings settings, long seed, int entries) {
        ModLm m = (ModLm) ModelFactory.create(tiny(settings), seed, DataType.DOUBLE);
        GradCheck.randomizeParams(m.params(), seed + 1, 0.9);
        // distinct tokens within each sequence: equal embeddings would tie at a routed first block
        int[] tok = distinctTokens(seed + 2, 11);
        double margin = m.selectionMargin(tok, B, T + 1);
        assertTrue(margin > 1e-4, settings + ": finite differences cannot change a selection (margin " + margin + ")");
        m.params().zeroGrads();
        StepStats st = m.forwardBackward(tok, B, T + 1);
        assertEquals(st.totalLoss(), trainingLoss(m, tok), 1e-12, "forwardBackward and the training-mode forward agree");
        assertTrue(st.scalars().get("mod_predictor_loss") > 0);
        assertEquals(st.auxLoss(), st.scalars().get("mod_predictor_loss") + st.scalars().get("blocks_aux_loss"), 1e-12);
        DoubleSupplier full = () -> trainingLoss(m, tok);
        DoubleSupplier main = () -> mainLoss(m, tok);
        for (ParamSpec p : m.params().specs()) {
            DoubleSupplier loss = p.name().contains(".predictor.") ? full : main;
            GradCheck.check(p.name(), m.params().value(p.name()), m.params().grad(p.name()), loss, entries, p.offset());
            DirectionalGradCheck.check(p.name(), m.params().value(p.name()), m.params().grad(p.name()), loss,
                    p.offset() + 17, GradCheck.REL_TOL);
        }
    }

    @Test
    void gradientsAroundDenseBlocksMatchFiniteDifferencesForEveryRouterScale() {
        gradCheck(mod("dense", 0.375, 2, "linear"), 3, 4);
        gradCheck(mod("dense", 0.5, 1, "sigmoid"), 5, 2);
        gradCheck(mod("dense", 0.25, 2, "one"), 7, 2);
    }

    @Test
    void gradientsAroundMoeBlocksMatchFiniteDifferences() {
        gradCheck(mod("moe", 0.5, 2, "linear"), 11, 2);
    }

    @Test
    void gradientsAroundSharedMoeutLayersIncludingTheRegulariserMatchFiniteDifferences() {
        ModLm m = (ModLm) ModelFactory.create(tiny(mod("moeut", 0.375, 3, "linear")), 1, DataType.DOUBLE);
        StepStats st = m.forwardBackward(tokens(1, 11), B, T + 1);
        assertTrue(st.scalars().get("reg_ffn") < 0 && st.scalars().get("reg_att") < 0, "the regulariser is on");
        gradCheck(mod("moeut", 0.375, 3, "linear"), 13, 2);
    }

    /** With capacity 1 and the scale fixed to 1 every token runs every block: the wrapped model. */
    @Test
    void fullCapacityWithUnitScaleEqualsTheWrappedModel() {
        for (String block : ModSettings.BLOCKS) {
            ModSettings s = new ModSettings(block, 1.0, 2, "one", 5, 0.0, "top_c");
            ModelConfig c = tiny(s);
            ModelConfig plain = c.toBuilder().family(block).mod(null).build();
            LanguageModel mod = ModelFactory.create(c, 3, DataType.DOUBLE);
            LanguageModel ref = ModelFactory.create(plain, 4, DataType.DOUBLE);
            GradCheck.randomizeParams(mod.params(), 5, 0.7);
            for (ParamSpec p : ref.params().specs()) {
                ref.params().value(p.name()).assign(mod.params().value(p.name()));
            }
            int[] tok = tokens(6, 11);
            EvalStats a = mod.evaluate(tok, B, T + 1, true);
            EvalStats b = ref.evaluate(tok, B, T + 1, true);
            assertTrue(a.logits().equalsWithEps(b.logits(), 1e-12), block + ": same function");
            mod.params().zeroGrads();
            ref.params().zeroGrads();
            StepStats sa = mod.forwardBackward(tok, B, T + 1);
            StepStats sb = ref.forwardBackward(tok, B, T + 1);
            assertEquals(sb.totalLoss(), sa.totalLoss(), 1e-12, block + ": same loss, auxiliary losses included");
            for (ParamSpec p : ref.params().specs()) {
                assertTrue(ref.params().grad(p.name()).equalsWithEps(mod.params().grad(p.name()), 1e-11),
                        block + ": gradient of " + p.name());
            }
            assertEquals(6.0 / (block.equals("moeut") ? 1 : 1.5), sa.scalars().get("mod_blocks_per_token"), 1e-12);
        }
    }

    /**
     * Causal inference: with the predictor choosing, the logits at positions before k do not depend
     * on the token at k. Top-C routing (training's) does look ahead: the same change moves earlier
     * logits, which shows the check can fail.
     */
    @Test
    void predictorInferenceHasNoFutureLookAheadWhileTopCHas() {
        for (String block : List.of("dense", "moe", "moeut")) {        // moe: dropless (capacity factor 0)
            ModelConfig c = tiny(mod(block, 0.375, 2, "linear"));
            ModLm m = (ModLm) ModelFactory.create(c, 21, DataType.DOUBLE);
            GradCheck.randomizeParams(m.params(), 22, 0.9);
            int k = 5;
            int[] tok = tokens(23, 11);
            EvalStats before = m.evaluate(tok, B, T + 1, true);
            double selected = before.scalars().get("mod_selected_fraction");
            assertTrue(selected > 0.1 && selected < 0.9, block + ": the predictor picks some tokens: " + selected);
            boolean topCLooksAhead = false;
            for (int v = 0; v < 11; v++) {
                int[] changed = tok.clone();
                changed[k] = v;                                            // sequence 0, input position k
                EvalStats after = m.evaluate(changed, B, T + 1, true);
                assertTrue(prefix(before.logits(), k).equalsWithEps(prefix(after.logits(), k), 1e-12),
                        block + ": positions < " + k + " must not see token " + v + " at " + k);
                EvalStats topBefore = m.evaluate(tok, B, T + 1, true, true);
                EvalStats topAfter = m.evaluate(changed, B, T + 1, true, true);
                topCLooksAhead |= !prefix(topBefore.logits(), k).equalsWithEps(prefix(topAfter.logits(), k), 1e-9);
            }
            assertTrue(topCLooksAhead, block + ": top-C routing sees the future for some token");
        }
    }

    private static INDArray prefix(INDArray logits, int k) {
        return logits.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, k), NDArrayIndex.all());
    }

    @Test
    void computeHistogramsCountBlocksAndFlopsPerToken() {
        ModelConfig c = tiny(mod("dense", 0.25, 2, "linear"));            // C = 2 of T = 8, blocks 1 and 3 routed
        ModLm m = (ModLm) ModelFactory.create(c, 2, DataType.DOUBLE);
        StepStats st = m.forwardBackward(tokens(3, 11), B, T + 1);
        Map<String, Histogram> h = m.drainComputeHistograms();
        assertEquals(B * T, h.get("blocks").count());
        assertEquals(2 + 2 * 0.25, h.get("blocks").mean(), 1e-12, "2 full blocks + 2 routed at capacity 1/4");
        assertEquals(2 + 2 * 0.25, st.scalars().get("mod_blocks_per_token"), 1e-12);
        assertEquals(0.25, st.scalars().get("mod_selected_fraction"), 1e-12);
        assertEquals(2.0 * FlopCount.modMacsPerToken(c, T), h.get("flops").mean(), 2.0);
        assertEquals(B * T, h.get("flops").count());
        double acc = st.scalars().get("mod_predictor_accuracy");
        assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
        assertTrue(m.drainComputeHistograms().isEmpty(), "drained");
        long full = FlopCount.denseLayerMacsPerToken(c, T);
        long routedBlock = FlopCount.modRoutingMacsPerToken(c) + FlopCount.denseLayerMacsPerToken(c, 2) / 4;
        assertEquals(2 * full + 2 * routedBlock, m.analyticMacsPerToken(T), 1);
        assertEquals(m.analyticMacsPerToken(T), st.scalars().get("executed_macs_per_token"), 1.0,
                "dense blocks execute what the analytic count says");
    }

    @Test
    void parameterNamesAreTheWrappedModelsPlusRoutersAndPredictorsOfRoutedBlocks() {
        ParamStore p = ModelFactory.create(tiny(mod("dense", 0.5, 2, "linear")), 1).params();
        List<String> names = p.specs().stream().map(ParamSpec::name).toList();
        ParamStore dense = ModelFactory.create(tiny(mod("dense", 0.5, 2, "linear")).toBuilder().family("dense")
                .mod(null).build(), 1).params();
        for (ParamSpec s : dense.specs()) {
            assertTrue(names.contains(s.name()), s.name());
            assertEquals(dense.value(s.name()), p.value(s.name()), "same seed, same init: " + s.name());
        }
        assertTrue(names.containsAll(List.of("mod.1.router.weight", "mod.3.router.weight", "mod.1.predictor.up.weight",
                "mod.1.predictor.up.bias", "mod.1.predictor.down.weight", "mod.3.predictor.down.bias")));
        assertFalse(names.contains("mod.0.router.weight"));
        assertEquals(dense.specs().size() + 2 * 5, names.size());
    }

    @Test
    void lossDropsAndThePredictorLearnsTheTopCChoice() {
        ModelConfig c = ModelConfig.builder().family("mod").vocabSize(16).dModel(32).nLayers(4).nHeads(2).dHead(16)
                .dFf(64).contextLength(32).mod(new ModSettings("dense", 0.25, 2, "linear", 16, 0.1, "predictor"))
                .build();
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
        StepStats first = null;
        StepStats last = null;
        for (int step = 0; step < 40; step++) {
            m.params().zeroGrads();
            last = m.forwardBackward(tok, batch, seqPlusOne);
            first = first == null ? last : first;
            dev.ponder.core.optim.GradClip.clipByGlobalNorm(m.params().grads(), 1.0);
            opt.step(1e-2);
        }
        assertTrue(last.ceLoss() < 0.3 * first.ceLoss(), "loss " + first.ceLoss() + " -> " + last.ceLoss());
        assertTrue(last.scalars().get("mod_predictor_bce") < first.scalars().get("mod_predictor_bce"),
                "predictor BCE " + first.scalars() + " -> " + last.scalars());
    }
}
