package dev.ponder.core.model;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.nn.Rope;
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
 * Mixture-of-Depths (Raposo et al. 2024; MODELS.md section 4) around the blocks of another family:
 * the model of mod_block (dense: {@link DenseLm}'s blocks, moe: {@link MoeLm}'s, moeut:
 * {@link MoeutLm}'s shared layers applied n_layers times) with every mod_every-th block application
 * wrapped in a {@link ModBlock}: only the top mod_capacity share of each sequence's tokens runs it.
 * Embedding, final norm and head are the wrapped family's, so the same names hold the same
 * tensors: parameters are the wrapped model's plus "mod.{l}.router.weight" and
 * "mod.{l}.predictor.{up,down}.{weight,bias}" for each routed application l.
 *
 * <p>Training routes by top-C (non-causal, the paper's formulation); {@link #evaluate} routes with
 * the causal predictor unless mod_inference is top_c. The auxiliary loss is the wrapped blocks'
 * (MoE balance and z losses; MoEUT's entropy regulariser in training) plus mod_predictor_loss
 * times each routed block's predictor BCE. Per-token compute goes to
 * {@link #drainComputeHistograms()} ("blocks", "flops"); router and predictor statistics are
 * StepStats scalars ({@link ModStats#scalars()}); the auxiliary loss splits into "mod_predictor_loss"
 * and "blocks_aux_loss" (the wrapped blocks' own).
 *
 * <p>Causality of predictor routing holds for dense and MoEUT blocks (every row is computed on its
 * own). Around MoE blocks with moe_capacity_factor > 0 a token's experts depend on the other rows
 * competing for capacity (the batch's, and the padding rows of predictor routing), as in the moe
 * family itself; dropless MoE (factor 0) keeps it.
 */
public final class ModLm extends AbstractLm implements TrainingModeEval {
    private final ModSettings ms;
    private final LmEnds ends;
    private final List<ResidualBlock> distinct = new ArrayList<>();   // registered blocks (G shared ones for moeut)
    private final ModBlock[] routed;                                   // per application; null where full
    private final Rng dropoutRoot;
    private Histogram blocksHist = Histogram.integers();
    private Histogram flopsHist = Histogram.exponential();

    public ModLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "mod");
        this.ms = config.mod();
        ParamRegistry reg = new ParamRegistry();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        if (kind().equals("moeut")) {                                  // MoeutLm's layers, head and order
            double s = Math.sqrt(2.0 / config.nLayers());
            for (int g = 0; g < config.moeut().groupSize(); g++) {
                distinct.add(new MoeutLayer(reg, "transformer.layers." + g, config, s));
            }
            this.ends = endsBuilder.uniformHead().outNorm().build();
        } else {                                                        // DenseLm's / MoeLm's
            Rope rope = new Rope(config.dHead(), config.ropeDims(), config.ropeBase());
            for (int i = 0; i < config.nLayers(); i++) {
                distinct.add(kind().equals("moe") ? new MoeBlock(reg, "layers." + i, config, rope)
                        : new DenseBlock(reg, "layers." + i, config, rope));
            }
            this.ends = endsBuilder.outNorm().head().build();
        }
        this.routed = new ModBlock[config.nLayers()];
        for (int l = 0; l < config.nLayers(); l++) {
            if (ms.routed(l)) {
                routed[l] = new ModBlock(reg, "mod." + l, block(l), config.dModel(), ms);
            }
        }
        build(reg, dtype, seed);
        if (kind().equals("moeut")) {
            distinct.forEach(b -> ((MoeutLayer) b).renormRouters());
        }
        this.dropoutRoot = new Rng(seed).split("expert_dropout");
    }

    private String kind() {
        return config.mod().block();
    }

    /** The block application l runs (for moeut: shared layer l mod G, repeat l / G). */
    private ResidualBlock block(int l) {
        return distinct.get(l % distinct.size());
    }

    private String blockName(int l) {
        return kind().equals("moeut") ? "transformer.layers." + (l % distinct.size()) : "layers." + l;
    }

    /** One forward over the blocks: per application the full block's or the routed block's record. */
    private record Pass(ResidualBlock.Saved[] full, ModBlock.Saved[] routed, double blockAux, ModStats stats) {}

    /**
     * Runs the n_layers applications on x [B*T, d] in place. Without {@code keep} each runs in a
     * scratch scope (plain evaluation) and the records must not be read afterwards.
     */
    private Pass runBlocks(INDArray x, int batch, int t, boolean training, ModBlock.Choice choice, Rng stepRng,
                           boolean keep, boolean record) {
        int n = config.nLayers();
        ResidualBlock.Saved[] full = new ResidualBlock.Saved[n];
        ModBlock.Saved[] mods = new ModBlock.Saved[n];
        ModStats stats = new ModStats(batch * t);
        double aux = 0;
        RoutingStats add = RoutingStats.EMPTY;
        int groups = distinct.size();
        for (int l = 0; l < n; l++) {
            Rng rng = stepRng == null ? null : stepRng.split(l);
            ResidualBlock b = block(l);
            int repeat = kind().equals("moeut") ? l / groups : 0;
            try (StepWorkspace scratch = keep ? null : StepWorkspace.scratch()) {
                ResidualBlock.Saved bs;
                if (routed[l] == null) {
                    bs = full[l] = b.forwardInPlace(x, batch, t, null, training, rng);
                    stats.full(b.macsPerToken(t), b.executedMacs(bs, batch * t, t));
                } else {
                    ModBlock.Saved s = mods[l] = routed[l].forwardInPlace(x, batch, t, choice, training, rng);
                    bs = s.block();
                    int len = s.selection() == null ? 0 : s.selection().len();
                    stats.routed(s, routed[l].routingMacsPerToken(), bs == null ? 0 : b.macsPerToken(len),
                            bs == null ? 0 : b.executedMacs(bs, batch * len, len));
                }
                if (bs != null) {
                    aux += b.auxLoss(bs);
                    add = add.merge(b.routingStats(bs, blockName(l), repeat));
                }
            }
        }
        if (record) {
            routing = routing.merge(add);
            stats.addTo(blocksHist, flopsHist);
        }
        return new Pass(full, mods, aux, stats);
    }

    /** MoEUT's entropy regulariser over every application that ran (null for other block kinds). */
    private MoeutRegularizer.Result regularize(Pass p, int batch, int t) {
        if (!kind().equals("moeut")) {
            return null;
        }
        List<MoeutLayer.Saved> saved = new ArrayList<>();
        List<Integer> apps = new ArrayList<>();
        List<Integer> lens = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            ResidualBlock.Saved s = p.full()[l] != null ? p.full()[l] : p.routed()[l].block();
            if (s != null) {
                saved.add((MoeutLayer.Saved) s);
                apps.add(l);
                lens.add(p.full()[l] != null ? t : p.routed()[l].selection().len());
            }
        }
        int[] module = apps.stream().mapToInt(l -> l % distinct.size()).toArray();
        MoeutRegularizer.Result r = MoeutRegularizer.compute(config.moeut(), config.nHeads(),
                saved.toArray(new MoeutLayer.Saved[0]), module, lens.stream().mapToInt(Integer::intValue).toArray(),
                batch);
        ResidualBlock.RouterLogitGrads[] byApp = new ResidualBlock.RouterLogitGrads[config.nLayers()];
        for (int i = 0; i < apps.size(); i++) {
            byApp[apps.get(i)] = r.grads()[i];
        }
        return new MoeutRegularizer.Result(r.ffn(), r.att(), byApp);
    }

    private double predictorLoss(Pass p) {
        return ms.predictorLoss() * p.stats().meanBce() * routedCount();
    }

    private int routedCount() {
        return (int) Arrays.stream(routed).filter(r -> r != null).count();
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        int t = w.seqLen();
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Fwd<Embedding.Saved> emb = ends.embed(w.inputs());
            INDArray x = emb.out();                                          // [B*T, d], the residual stream
            Pass p = runBlocks(x, batch, t, true, ModBlock.Choice.TOP_C, stepRng(tokens), true, true);
            MoeutRegularizer.Result reg = regularize(p, batch, t);
            LmHead.Result ce = ends.lossAndGrad(x, w.targets(), 1.0 / n);
            INDArray dx = ce.dx();                                           // [B*T, d]
            for (int l = config.nLayers() - 1; l >= 0; l--) {
                ResidualBlock.RouterLogitGrads extra = reg == null ? null : reg.grads()[l];
                try (StepWorkspace scratch = StepWorkspace.scratch()) {   // one block's temporaries; dx in place
                    if (routed[l] == null) {
                        block(l).backwardInPlace(p.full()[l], dx, extra);
                    } else {
                        routed[l].backwardInPlace(p.routed()[l], dx, extra);
                    }
                }
            }
            ends.embedBackward(emb.saved(), dx);
            double ceLoss = ce.lossSum() / n;
            double aux = aux(p, reg);
            return new StepStats(ceLoss, aux, ceLoss + aux, n, scalars(p, reg, n, t));
        }
    }

    private double aux(Pass p, MoeutRegularizer.Result reg) {
        return p.blockAux() + predictorLoss(p) + (reg == null ? 0.0 : reg.total());
    }

    private Rng stepRng(int[] tokens) {
        boolean dropout = kind().equals("moeut")
                && (config.moeut().ffExpertDropout() > 0 || config.moeut().attExpertDropout() > 0);
        return dropout ? dropoutRoot.split(Arrays.hashCode(tokens)) : null;
    }

    private Map<String, Double> scalars(Pass p, MoeutRegularizer.Result reg, int n, int t) {
        Map<String, Double> m = new LinkedHashMap<>(p.stats().scalars());
        m.put("mod_predictor_loss", predictorLoss(p));
        m.put("blocks_aux_loss", p.blockAux() + (reg == null ? 0.0 : reg.total()));
        if (reg != null) {
            reg.putScalars(m);
        }
        putMacScalars(m, p.stats().executedMacs() / (double) n, t);
        return m;
    }

    /**
     * Forward only. Plain evaluation routes as mod_inference says (the causal predictor by default).
     * With {@code trainingMode} it routes by top-C as training does and adds MoEUT's regulariser, so
     * meanLoss + auxLoss is the training loss (expert dropout stays off: scoring never samples).
     */
    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits, boolean trainingMode) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        ModBlock.Choice choice = trainingMode || ms.inference().equals("top_c")
                ? ModBlock.Choice.TOP_C : ModBlock.Choice.PREDICTOR;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = ends.embed(w.inputs()).out();                      // [B*T, d]
            Pass p = runBlocks(x, batch, w.seqLen(), false, choice, null, trainingMode, true);
            MoeutRegularizer.Result reg = trainingMode ? regularize(p, batch, w.seqLen()) : null;
            LmEnds.Scored s = ends.score(x, w, batch, withLogits);
            return new EvalStats(s.ceSum(), n, aux(p, reg), s.logits(), scalars(p, reg, n, w.seqLen()));
        }
    }

    /**
     * For tests: the smallest gap between a selected and an unselected score over every choice a
     * training forward makes (top-C router scores; the MoE or MoEUT expert top-k). A finite-difference
     * step that moves scores by less cannot change a selection.
     */
    double selectionMargin(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Pass p = runBlocks(ends.embed(w.inputs()).out(), batch, w.seqLen(), false, ModBlock.Choice.TOP_C,
                    null, true, false);
            double m = Double.MAX_VALUE;
            for (int l = 0; l < config.nLayers(); l++) {
                ResidualBlock.Saved bs = p.full()[l];
                if (routed[l] != null) {
                    ModBlock.Saved s = p.routed()[l];
                    m = Math.min(m, dev.ponder.core.routing.TopC.margin(s.r(), batch, w.seqLen(),
                            s.selection().len()));
                    bs = s.block();
                }
                m = Math.min(m, expertMargin(bs));
            }
            return m;
        }
    }

    private double expertMargin(ResidualBlock.Saved bs) {
        if (bs instanceof MoeBlock.Saved s) {
            return MoeutLm.margin(s.ffn().logits(), config.moe().nExperts(), config.moe().k());
        }
        if (bs instanceof MoeutLayer.Saved s) {
            MoeutSettings m = config.moeut();
            double v = MoeutLm.margin(s.ffn().logits(), m.ffNExperts(), m.ffK());
            if (s.att().logitsV() != null) {
                v = Math.min(v, MoeutLm.margin(s.att().logitsV(), m.attNExperts(), m.attK()));
                v = Math.min(v, MoeutLm.margin(s.att().logitsO(), m.attNExperts(), m.attK()));
            }
            return v;
        }
        return Double.MAX_VALUE;
    }

    /** Blocks executed per token ("blocks") and forward FLOPs per token ("flops") since the last call. */
    @Override
    public Map<String, Histogram> drainComputeHistograms() {
        Map<String, Histogram> out = new LinkedHashMap<>();
        if (blocksHist.count() > 0) {
            out.put("blocks", blocksHist);
            out.put("flops", flopsHist);
        }
        blocksHist = Histogram.integers();
        flopsHist = Histogram.exponential();
        return out;
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.modMacsPerToken(config, seqLen);
    }
}
