package dev.ponder.core.model;

import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The classic MoE control (MODELS.md section 0b): the dense pre-LN transformer of {@link DenseLm}
 * with every FFN replaced by a softmax top-k MoE ({@link MoeBlock}). The auxiliary loss
 * ({@link StepStats#auxLoss()}) is the sum over layers of the load-balancing and z losses, already
 * multiplied by moe_aux_loss and moe_z_loss; it is also reported in evaluation.
 *
 * <p>Parameter names as the dense model, with layers.{i}.ffn.{router.weight, up, down}.
 */
public final class MoeLm extends AbstractLm {
    private final LmEnds ends;
    private final List<MoeBlock> blocks = new ArrayList<>();
    /** Forward FLOPs each token executed since the last drain (capacity drops make them vary). */
    private Histogram flops = Histogram.exponential();

    public MoeLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "moe");
        ParamRegistry reg = new ParamRegistry();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        Rope rope = new Rope(config.dHead(), config.ropeDims(), config.ropeBase());
        for (int i = 0; i < config.nLayers(); i++) {
            blocks.add(new MoeBlock(reg, "layers." + i, config, rope));
        }
        this.ends = endsBuilder.outNorm().head().build();
        build(reg, dtype, seed);
    }

    private record Pass(List<MoeBlock.Saved> saved, double aux, long executedMacs) {}

    private Pass runBlocks(INDArray x, int batch, int t) {
        List<MoeBlock.Saved> saved = new ArrayList<>(blocks.size());
        double aux = 0;
        long macs = 0;
        int[] experts = new int[batch * t];                                 // experts executed per token, all layers
        for (int i = 0; i < blocks.size(); i++) {
            MoeBlock.Saved s = blocks.get(i).forwardInPlace(x, batch, t);
            saved.add(s);
            aux += s.ffn().auxLoss();
            macs += MoeBlock.executedMacs(config, s, batch * t, t);
            routing = routing.merge(blocks.get(i).routingStats(s, "layers." + i, 0));
            int[] routed = s.ffn().routing().routedPerRow();
            for (int j = 0; j < routed.length; j++) {
                experts[j] += routed[j];
            }
        }
        recordFlops(experts, t);
        return new Pass(saved, aux, macs);
    }

    private Map<String, Double> scalars(Pass p, int n, int t) {
        Map<String, Double> m = new LinkedHashMap<>();
        putMacScalars(m, p.executedMacs() / (double) n, t);
        return m;
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Fwd<Embedding.Saved> emb = ends.embed(w.inputs());
            INDArray x = emb.out();                                          // [B*T, d], the residual stream
            Pass p = runBlocks(x, batch, w.seqLen());
            LmHead.Result ce = ends.lossAndGrad(x, w.targets(), 1.0 / n);
            INDArray dx = ce.dx();                                           // [B*T, d]
            for (int i = blocks.size() - 1; i >= 0; i--) {
                dx = blocks.get(i).backwardInPlace(p.saved().get(i), dx);
            }
            ends.embedBackward(emb.saved(), dx);
            double ceLoss = ce.lossSum() / n;
            return new StepStats(ceLoss, p.aux(), ceLoss + p.aux(), n, scalars(p, n, w.seqLen()));
        }
    }

    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = ends.embed(w.inputs()).out();                      // [B*T, d]
            Pass p = runBlocks(x, batch, w.seqLen());
            LmEnds.Scored s = ends.score(x, w, batch, withLogits);
            return new EvalStats(s.ceSum(), n, p.aux(), s.logits(), scalars(p, n, w.seqLen()));
        }
    }

    /**
     * Adds each token's executed forward FLOPs (2 x MACs, MODELS.md section 6): the layers' dense part
     * (projections, router, T x T attention) plus 2 d m per expert the token actually went through.
     */
    private void recordFlops(int[] experts, int t) {
        long d = config.dModel();
        long hd = (long) config.nHeads() * config.dHead();
        long dense = config.nLayers() * (4 * d * hd + d * config.moe().nExperts() + 2L * t * hd);
        long perExpert = 2 * d * config.moe().expertSize();
        long[] byCount = new long[blocks.size() * config.moe().k() + 1];
        for (int e : experts) {
            byCount[e]++;
        }
        for (int e = 0; e < byCount.length; e++) {
            if (byCount[e] > 0) {
                flops.add(2.0 * (dense + e * perExpert), byCount[e]);
            }
        }
    }

    @Override
    public Map<String, Histogram> drainComputeHistograms() {
        Histogram out = flops;
        flops = Histogram.exponential();
        return out.count() == 0 ? Map.of() : Map.of("flops", out);
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.moeMacsPerToken(config, seqLen);
    }
}
