package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.nn.Activation;
import dev.ponder.core.optim.AdamW;
import dev.ponder.core.optim.GradClip;
import dev.ponder.core.optim.LrSchedule;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.params.ParamStore;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DenseLmTest {
    private static final int B = 2;
    private static final int T = 5;

    private static ModelConfig small() {
        return ModelConfig.builder().vocabSize(13).dModel(8).nLayers(2).nHeads(2).dHead(4).dFf(16)
                .contextLength(16).build();
    }

    private static int[] tokens(long seed, int vocab, int batch, int seqLenPlusOne) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[batch * seqLenPlusOne];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    private static void gradCheckWholeModel(ModelConfig c, int maxEntriesPerTensor) {
        LanguageModel m = ModelFactory.create(c, 3, DataType.DOUBLE);
        int[] tok = tokens(5, c.vocabSize(), B, T + 1);
        m.params().zeroGrads();
        StepStats st = m.forwardBackward(tok, B, T + 1);
        assertEquals(B * T, st.tokens());
        assertEquals(st.ceLoss(), m.evaluate(tok, B, T + 1).meanLoss(), 1e-12);
        GradCheck.checkAllParams(m.params(), () -> m.evaluate(tok, B, T + 1).meanLoss(), maxEntriesPerTensor);
    }

    /**
     * Every tensor is checked on a deterministic random subset of its entries: the per-layer checks
     * cover every entry, this one the wiring (and a full sweep costs minutes on a loaded 2-core box).
     */
    @Test
    void wholeModelGradientMatchesFiniteDifferencesOnEveryTensor() {
        gradCheckWholeModel(small(), 10);
    }

    @Test
    void geluBiasesTiedEmbeddingsAndPartialRopeAlsoCheck() {
        gradCheckWholeModel(small().toBuilder().activation(Activation.GELU).bias(true).headBias(true)
                .tieEmbeddings(true).ropeFraction(0.5).dModel(6).build(), 5);
    }

    @Test
    void parameterNamesAndShapes() {
        ParamStore p = ModelFactory.create(small(), 1).params();
        List<String> names = p.specs().stream().map(ParamSpec::name).toList();
        assertEquals("embedding.weight", names.get(0));
        assertTrue(names.containsAll(List.of("layers.0.ln1.weight", "layers.0.ln1.bias", "layers.0.attn.q.weight",
                "layers.0.attn.k.weight", "layers.0.attn.v.weight", "layers.0.attn.o.weight", "layers.1.ln2.bias",
                "layers.1.ffn.up.weight", "layers.1.ffn.down.weight", "out_norm.weight", "out_norm.bias",
                "lm_head.weight")));
        assertArrayEquals(new long[] {8, 8}, p.layout().spec("layers.1.attn.q.weight").shape());
        assertArrayEquals(new long[] {16, 8}, p.layout().spec("layers.1.ffn.up.weight").shape());
        assertArrayEquals(new long[] {13, 8}, p.layout().spec("lm_head.weight").shape());
        assertEquals(13 * 8 * 2 + 2 * (4 * 8 + 4 * 64 + 2 * 128) + 16, p.size());
        assertFalse(ModelFactory.create(small().toBuilder().tieEmbeddings(true).build(), 1).params()
                .layout().contains("lm_head.weight"));
    }

    @Test
    void initDependsOnlyOnSeed() {
        ParamStore a = ModelFactory.create(small(), 9).params();
        ParamStore b = ModelFactory.create(small(), 9).params();
        ParamStore c = ModelFactory.create(small(), 10).params();
        assertEquals(a.params(), b.params());
        assertFalse(a.params().equals(c.params()));
    }

    @Test
    void evaluateReturnsLogitsThatOutliveTheStep() {
        LanguageModel m = ModelFactory.create(small(), 2);
        int[] tok = tokens(1, 13, B, T + 1);
        EvalStats e = m.evaluate(tok, B, T + 1, true);
        assertArrayEquals(new long[] {B, T, 13}, e.logits().shape());
        assertFalse(e.logits().isAttached());
        m.evaluate(tokens(2, 13, B, T + 1), B, T + 1, false);          // reuses the workspace
        assertTrue(Double.isFinite(e.logits().sumNumber().doubleValue()));
        assertNull(m.evaluate(tok, B, T + 1).logits());
        assertEquals(B * T, e.tokens());
        assertTrue(e.meanLoss() > 0.5 * Math.log(13) && e.meanLoss() < Math.log(13) + 1.5, "" + e.meanLoss());
    }

    @Test
    void lossDropsWhenTrainingOnARepeatingSequence() {
        ModelConfig c = ModelConfig.builder().vocabSize(16).dModel(32).nLayers(2).nHeads(2).dHead(16)
                .dFf(64).contextLength(32).build();
        LanguageModel m = ModelFactory.create(c, 4);
        int seqPlusOne = 17;
        int batch = 4;
        int[] tok = new int[batch * seqPlusOne];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqPlusOne; i++) {
                tok[b * seqPlusOne + i] = (b + i * 3) % 7;                // period-7 pattern per row
            }
        }
        AdamW opt = new AdamW(m.params(), new AdamW.Config(0.9, 0.99, 1e-8, 0.01));
        LrSchedule lr = new LrSchedule(1e-2, 3, 30, 0.1);
        double first = 0;
        double last = 0;
        for (int step = 0; step < 30; step++) {
            m.params().zeroGrads();
            StepStats s = m.forwardBackward(tok, batch, seqPlusOne);
            GradClip.clipByGlobalNorm(m.params().grads(), 1.0);
            opt.step(lr.lr(opt.stepCount()));
            if (step == 0) {
                first = s.ceLoss();
            }
            last = s.ceLoss();
        }
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }
}
