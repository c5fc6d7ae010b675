package dev.ponder.core.model;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * MoEUT (Csordás et al. 2024; MODELS.md section 1), reference RobertCsordas/moeut {@code MoEUTLM}:
 * x = Emb(tokens); G = group_size distinct {@link MoeutLayer}s applied in order and the group
 * repeated R = n_layers / G times (ABAB..., weights shared, gradients summed over repeats);
 * logits = lm_head(out_norm(x)) with bias.
 *
 * <p>Training adds MoEUT's entropy regulariser (training mode only): per σ-MoE module over its R
 * invocations, entropy_reg * L; per SwitchHead module (att_n_experts > 1), att_entropy_reg * (L_v + L_o).
 * It is {@link StepStats#auxLoss()}; its parts are the scalars "reg_ffn" and "reg_att".
 *
 * <p>Parameter names and shapes are the reference's (export is a copy): embedding.weight,
 * transformer.layers.{g}.{attention.q.weight, attention.k.weight, attention.v, attention.o,
 * attention.sel_v, attention.sel_o, ffn.keys, ffn.values, ffn.expert_sel, ln1.*, ln2.*},
 * out_norm.{weight,bias}, lm_head.{weight,bias}. Init: embedding N(0, 1/sqrt(d)) (kaiming fan-in);
 * layers with s = sqrt(2 / n_layers) (see the layers) and the router row renormalisation; lm_head
 * PyTorch's Linear default U(+-1/sqrt(d)) for weight and bias; LayerNorms 1 and 0.
 *
 * <p>Expert dropout (0 by default) draws from a stream split from the seed by the batch's tokens, so
 * a step's masks depend only on (seed, batch) and never on a global RNG.
 */
public final class MoeutLm extends AbstractLm implements TrainingModeEval {
    private final MoeutSettings ms;
    private final LmEnds ends;
    private final List<MoeutLayer> layers = new ArrayList<>();
    private final Rng dropoutRoot;

    public MoeutLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "moeut");
        this.ms = config.moeut();
        ParamRegistry reg = new ParamRegistry();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        double s = Math.sqrt(2.0 / config.nLayers());
        for (int g = 0; g < ms.groupSize(); g++) {
            layers.add(new MoeutLayer(reg, "transformer.layers." + g, config, s));
        }
        this.ends = endsBuilder.uniformHead().outNorm().build();          // the reference's order: head, then norm
        build(reg, dtype, seed);
        for (MoeutLayer l : layers) {
            l.renormRouters();
        }
        this.dropoutRoot = new Rng(seed).split("expert_dropout");
    }

    private int repeats() {
        return ms.repeats(config.nLayers());
    }

    /** The blocks' forward: saved[r][g], the final residual stream and the executed MACs. */
    private record Blocks(MoeutLayer.Saved[][] saved, INDArray x, long executedMacs) {}

    /**
     * Runs the R x G layer applications on x in place. With {@code keep} false (plain evaluation)
     * each layer runs in a scratch scope, so only one layer's activations exist at a time and the
     * returned saved records must not be read.
     */
    private Blocks runBlocks(INDArray x, int batch, int t, boolean training, Rng stepRng, boolean keep) {
        int g = layers.size();
        MoeutLayer.Saved[][] saved = new MoeutLayer.Saved[repeats()][g];
        long macs = 0;
        for (int r = 0; r < repeats(); r++) {
            for (int i = 0; i < g; i++) {
                Rng rng = stepRng == null ? null : stepRng.split((long) r * g + i);
                try (StepWorkspace scratch = keep ? null : StepWorkspace.scratch()) {
                    saved[r][i] = layers.get(i).forwardInPlace(x, batch, t, training, rng);
                    macs += layers.get(i).executedMacs(saved[r][i], batch * t, t, config.nHeads(), config.dHead());
                    recordRouting(saved[r][i], r, i);
                }
            }
        }
        return new Blocks(saved, x, macs);
    }

    private void recordRouting(MoeutLayer.Saved s, int r, int g) {
        routing = routing.merge(layers.get(g).routingStats(s, "transformer.layers." + g, r));
    }

    /** The entropy regulariser over the R x G invocations; gradients indexed r * G + g. */
    private MoeutRegularizer.Result regularize(MoeutLayer.Saved[][] saved, int batch, int t) {
        int g = layers.size();
        int n = repeats() * g;
        MoeutLayer.Saved[] flat = new MoeutLayer.Saved[n];
        int[] module = new int[n];
        int[] lens = new int[n];
        for (int i = 0; i < n; i++) {
            flat[i] = saved[i / g][i % g];
            module[i] = i % g;
            lens[i] = t;
        }
        return MoeutRegularizer.compute(ms, config.nHeads(), flat, module, lens, batch);
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        int t = w.seqLen();
        boolean dropout = ms.ffExpertDropout() > 0 || ms.attExpertDropout() > 0;
        Rng stepRng = dropout ? dropoutRoot.split(Arrays.hashCode(tokens)) : null;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            long t0 = PhaseTimer.start();
            Fwd<Embedding.Saved> emb = ends.embed(w.inputs());
            PhaseTimer.stop("embedding", t0);
            Blocks blocks = runBlocks(emb.out(), batch, t, true, stepRng, true); // [B*T, d], updated in place
            MoeutRegularizer.Result reg = regularize(blocks.saved(), batch, t);
            t0 = PhaseTimer.start();
            LmHead.Result ce = ends.lossAndGrad(blocks.x(), w.targets(), 1.0 / n);
            INDArray dx = ce.dx();                                           // [B*T, d]
            PhaseTimer.stop("lm_head", t0);
            for (int r = repeats() - 1; r >= 0; r--) {
                for (int i = layers.size() - 1; i >= 0; i--) {
                    try (StepWorkspace scratch = StepWorkspace.scratch()) {   // one layer's temporaries; dx in place
                        layers.get(i).backwardInPlace(blocks.saved()[r][i], dx, reg.grads()[r * layers.size() + i]);
                    }
                }
            }
            t0 = PhaseTimer.start();
            ends.embedBackward(emb.saved(), dx);
            PhaseTimer.stop("embedding", t0);
            double ceLoss = ce.lossSum() / n;
            double aux = reg.total();
            return new StepStats(ceLoss, aux, ceLoss + aux, n, scalars(reg, blocks.executedMacs() / (double) n, t));
        }
    }

    private Map<String, Double> scalars(MoeutRegularizer.Result reg, double executedPerToken, int t) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (reg != null) {
            reg.putScalars(m);
        }
        putMacScalars(m, executedPerToken, t);
        return m;
    }

    /**
     * Forward only. With {@code trainingMode} the entropy regulariser is computed as in training
     * and returned as {@link EvalStats#auxLoss()} (expert dropout stays off: scoring never samples);
     * otherwise auxLoss is 0, as the reference's evaluation mode records no selections.
     */
    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits, boolean trainingMode) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Blocks blocks = runBlocks(ends.embed(w.inputs()).out(), batch, w.seqLen(), false, null, trainingMode);
            MoeutRegularizer.Result reg = trainingMode ? regularize(blocks.saved(), batch, w.seqLen()) : null;
            LmEnds.Scored s = ends.score(blocks.x(), w, batch, withLogits);
            double aux = reg == null ? 0.0 : reg.total();
            return new EvalStats(s.ceSum(), n, aux, s.logits(), scalars(reg, blocks.executedMacs() / (double) n,
                    w.seqLen()));
        }
    }

    /**
     * For tests: the smallest gap, over every router row of a forward pass, between the k-th and
     * the (k+1)-th largest logit. A finite-difference step that moves logits by less cannot change
     * any expert selection.
     */
    double selectionMargin(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        RoutingStats before = routing;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Blocks b = runBlocks(ends.embed(w.inputs()).out(), batch, w.seqLen(), false, null, true);
            routing = before;                                                // a probe, not a step: record nothing
            double m = Double.MAX_VALUE;
            for (MoeutLayer.Saved[] row : b.saved()) {
                for (MoeutLayer.Saved s : row) {
                    m = Math.min(m, margin(s.ffn().logits(), ms.ffNExperts(), ms.ffK()));
                    if (s.att().logitsV() != null) {
                        m = Math.min(m, margin(s.att().logitsV(), ms.attNExperts(), ms.attK()));
                        m = Math.min(m, margin(s.att().logitsO(), ms.attNExperts(), ms.attK()));
                    }
                }
            }
            return m;
        }
    }

    static double margin(INDArray logits, int e, int k) {
        if (k == e) {
            return Double.MAX_VALUE;
        }
        double[] z = dev.ponder.core.routing.HostArrays.read(logits);
        double m = Double.MAX_VALUE;
        for (int from = 0; from < z.length; from += e) {
            double[] row = Arrays.copyOfRange(z, from, from + e);
            Arrays.sort(row);
            m = Math.min(m, row[e - k] - row[e - k - 1]);
        }
        return m;
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.moeutMacsPerToken(config, seqLen);
    }
}
