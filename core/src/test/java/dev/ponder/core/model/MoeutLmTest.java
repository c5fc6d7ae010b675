package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.DirectionalGradCheck;
import dev.ponder.core.GradCheck;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.params.ParamStore;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class MoeutLmTest {
    private static final int B = 2;
    private static final int T = 4;

    static ModelConfig tiny(int nLayers, int group, int attExperts) {
        return ModelConfig.builder().family("moeut").vocabSize(11).dModel(8).nLayers(nLayers).nHeads(2).dHead(4)
                .contextLength(16)
                .moeut(new MoeutSettings(group, 6, 3, 2, attExperts, 2, 0.5, 0.3, 0.0, 0.0, 0.0)).build();
    }

    static int[] tokens(long seed, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[B * (T + 1)];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void referenceParameterNamesAndShapes() {
        ModelConfig c = tiny(4, 2, 3);
        ParamStore p = ModelFactory.create(c, 1).params();
        List<String> names = p.specs().stream().map(ParamSpec::name).toList();
        String l = "transformer.layers.1.";
        assertTrue(names.containsAll(List.of("embedding.weight", "lm_head.weight", "lm_head.bias", "out_norm.weight",
                "out_norm.bias", l + "ln1.weight", l + "ln1.bias", l + "ln2.weight", l + "ln2.bias",
                l + "attention.q.weight", l + "attention.k.weight", l + "attention.v", l + "attention.o",
                l + "attention.sel_v", l + "attention.sel_o", l + "ffn.keys", l + "ffn.values", l + "ffn.expert_sel")));
        assertEquals(5 + 2 * 13, names.size(), "2 distinct layers of 13 tensors, shared by 2 repeats: " + names);
        assertArrayEquals(new long[] {6, 8, 3}, p.layout().spec(l + "ffn.keys").shape());
        assertArrayEquals(new long[] {6, 3, 8}, p.layout().spec(l + "ffn.values").shape());
        assertArrayEquals(new long[] {6, 8}, p.layout().spec(l + "ffn.expert_sel").shape());
        assertArrayEquals(new long[] {6, 8, 4}, p.layout().spec(l + "attention.v").shape());
        assertArrayEquals(new long[] {6, 4, 8}, p.layout().spec(l + "attention.o").shape());
        assertArrayEquals(new long[] {11}, p.layout().spec("lm_head.bias").shape());
    }

    @Test
    void wholeModelGradientIncludingTheRegulariserMatchesFiniteDifferences() {
        for (int attExperts : new int[] {3, 1}) {
            MoeutLm m = (MoeutLm) ModelFactory.create(tiny(4, 2, attExperts), 3, DataType.DOUBLE);
            GradCheck.randomizeParams(m.params(), 4, 0.9);
            int[] tok = tokens(5, 11);
            assertTrue(m.selectionMargin(tok, B, T + 1) > 1e-4, "finite differences cannot flip a selection");
            m.params().zeroGrads();
            StepStats st = m.forwardBackward(tok, B, T + 1);
            EvalStats ev = m.evaluate(tok, B, T + 1, false, true);
            assertEquals(st.ceLoss(), ev.meanLoss(), 1e-12);
            assertEquals(st.auxLoss(), ev.auxLoss(), 1e-12);
            assertTrue(st.scalars().get("reg_ffn") < 0, "minus an entropy");
            assertEquals(attExperts > 1, st.scalars().get("reg_att") < 0);
            assertEquals(0.0, m.evaluate(tok, B, T + 1).auxLoss(), "no regulariser in evaluation mode");
            DoubleSupplier loss = () -> {
                EvalStats e = m.evaluate(tok, B, T + 1, false, true);
                return e.meanLoss() + e.auxLoss();
            };
            if (attExperts > 1) {
                GradCheck.checkAllParams(m.params(), loss, 2);    // entries; the dense-attention case shares the rest
            }
            DirectionalGradCheck.checkAllParams(m.params(), loss);
        }
    }

    /** A shared ABAB stack equals the unshared A B A' B' stack with copied weights; shared grads are sums. */
    @Test
    void sharedGroupEqualsANonSharedStackWithCopiedWeights() {
        ModelConfig shared = tiny(4, 2, 3);
        ModelConfig flat = tiny(4, 4, 3);                           // G = n_layers: one repeat
        LanguageModel a = ModelFactory.create(shared, 7, DataType.DOUBLE);
        LanguageModel b = ModelFactory.create(flat, 8, DataType.DOUBLE);
        ParamStore pa = a.params();
        ParamStore pb = b.params();
        for (ParamSpec s : pb.specs()) {
            pb.value(s.name()).assign(pa.value(sharedName(s.name())));
        }
        int[] tok = tokens(9, 11);
        EvalStats ea = a.evaluate(tok, B, T + 1, true);
        EvalStats eb = b.evaluate(tok, B, T + 1, true);
        assertTrue(ea.logits().equalsWithEps(eb.logits(), 1e-12), "same function");
        // the regulariser pools a module's repeats, so compare gradients of the cross-entropy alone
        ModelConfig sharedNoReg = shared.toBuilder().moeut(noReg(shared.moeut())).build();
        ModelConfig flatNoReg = flat.toBuilder().moeut(noReg(flat.moeut())).build();
        LanguageModel a2 = ModelFactory.create(sharedNoReg, 7, DataType.DOUBLE);
        LanguageModel b2 = ModelFactory.create(flatNoReg, 8, DataType.DOUBLE);
        a2.params().params().assign(pa.params());
        b2.params().params().assign(pb.params());
        a2.params().zeroGrads();
        b2.params().zeroGrads();
        assertEquals(a2.forwardBackward(tok, B, T + 1).totalLoss(), b2.forwardBackward(tok, B, T + 1).totalLoss(), 1e-12);
        for (ParamSpec s : pa.specs()) {
            INDArray sum = null;
            for (ParamSpec t : pb.specs()) {
                if (sharedName(t.name()).equals(s.name())) {
                    sum = sum == null ? b2.params().grad(t.name()).dup() : sum.addi(b2.params().grad(t.name()));
                }
            }
            assertTrue(sum.equalsWithEps(a2.params().grad(s.name()), 1e-10), s.name());
        }
    }

    private static MoeutSettings noReg(MoeutSettings m) {
        return new MoeutSettings(m.groupSize(), m.ffNExperts(), m.ffExpertSize(), m.ffK(), m.attNExperts(), m.attK(),
                0.0, 0.0, 0.0, 0.0, 0.0);
    }

    /** transformer.layers.{i} of the flat stack is layer i mod 2 of the shared group. */
    private static String sharedName(String name) {
        String p = "transformer.layers.";
        if (!name.startsWith(p)) {
            return name;
        }
        int dot = name.indexOf('.', p.length());
        int i = Integer.parseInt(name.substring(p.length(), dot));
        return p + (i % 2) + name.substring(dot);
    }

    @Test
    void lossDropsWhenTrainingOnARepeatingSequence() {
        ModelConfig c = ModelConfig.builder().family("moeut").vocabSize(16).dModel(32).nLayers(4).nHeads(2).dHead(16)
                .contextLength(32).moeut(new MoeutSettings(2, 8, 16, 2, 2, 1, 0.01, 0.001, 0, 0, 0)).build();
        LanguageModel m = ModelFactory.create(c, 4);
        int seqPlusOne = 17;
        int batch = 4;
        int[] tok = new int[batch * seqPlusOne];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqPlusOne; i++) {
                tok[b * seqPlusOne + i] = (b + i * 3) % 7;                // period-7 pattern per row
            }
        }
        dev.ponder.core.optim.AdamW opt = new dev.ponder.core.optim.AdamW(m.params(),
                new dev.ponder.core.optim.AdamW.Config(0.9, 0.99, 1e-8, 0.01));
        double first = 0;
        double last = 0;
        for (int step = 0; step < 20; step++) {
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
    void routingStatsCountEveryRoutedSlotAndExecutedMacsMatchTheRouting() {
        ModelConfig c = tiny(4, 2, 3);
        LanguageModel m = ModelFactory.create(c, 2);
        int[] tok = tokens(1, 11);
        StepStats st = m.forwardBackward(tok, B, T + 1);
        RoutingStats rs = m.drainRoutingStats();
        assertEquals(2 * 2 * 3, rs.loads().size(), "[ffn, attention.v, attention.o] x 2 layers x 2 repeats");
        RoutingStats.Load ffn = rs.load("transformer.layers.0.ffn", 1);
        assertEquals(B * T * 2, ffn.slots(), "k = 2 per token");
        assertEquals(B * T, ffn.executedPerToken()[2]);
        assertEquals(B * T * 2 * 2, rs.load("transformer.layers.1.attention.o", 0).slots(), "H * att_k per token");
        assertTrue(m.drainRoutingStats().isEmpty(), "drained");
        // executed = analytic here except for the routers: the convention counts E_att d per attention router
        double analytic = st.scalars().get("analytic_macs_per_token");
        double executed = st.scalars().get("executed_macs_per_token");
        long routerGap = 4L * (2L * 2 * 3 * 8 - 2L * 3 * 8);     // n_layers x 2 routers x (H E d - E d)
        long mixing = 4L * 2 * 2 * 2 * 4;                          // n_layers x 2 H k dh: done in the gather-sum
        assertEquals(analytic + routerGap - mixing, executed, 1e-9);
    }
}
