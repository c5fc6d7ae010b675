package dev.ponder.core.model;

import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense pre-LN transformer baseline (MODELS.md section 0):
 * x = Emb(tokens); per layer x += Attn(LN1(x)); x += FFN(LN2(x)); logits = Head(LN_f(x)).
 *
 * <p>Parameter names: embedding.weight, layers.{i}.ln1.{weight,bias}, layers.{i}.attn.{q,k,v,o}.weight,
 * layers.{i}.ln2.{weight,bias}, layers.{i}.ffn.{up,down}.weight (+ .bias with bias = true),
 * out_norm.{weight,bias}, lm_head.weight (absent when tied) and lm_head.bias with head_bias.
 * Embedding and LM head ~ N(0, 1/sqrt(d)) (MoEUT's embedding init); blocks: see {@link DenseBlock}.
 */
public final class DenseLm extends AbstractLm {
    private final LmEnds ends;
    private final List<DenseBlock> blocks = new ArrayList<>();

    public DenseLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "dense");
        ParamRegistry reg = new ParamRegistry();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        Rope rope = new Rope(config.dHead(), config.ropeDims(), config.ropeBase());
        for (int i = 0; i < config.nLayers(); i++) {
            blocks.add(new DenseBlock(reg, "layers." + i, config, rope));
        }
        this.ends = endsBuilder.outNorm().head().build();
        build(reg, dtype, seed);
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Fwd<Embedding.Saved> emb = ends.embed(w.inputs());
            INDArray x = emb.out();                                          // [B*T, d], the residual stream
            List<DenseBlock.Saved> saved = new ArrayList<>(blocks.size());
            for (DenseBlock block : blocks) {
                saved.add(block.forwardInPlace(x, batch, w.seqLen()));
            }
            LmHead.Result ce = ends.lossAndGrad(x, w.targets(), 1.0 / n);
            INDArray dx = ce.dx();                                           // [B*T, d]
            for (int i = blocks.size() - 1; i >= 0; i--) {
                try (StepWorkspace scratch = StepWorkspace.scratch()) {   // dx is updated in place
                    blocks.get(i).backwardInPlace(saved.get(i), dx);
                }
            }
            ends.embedBackward(emb.saved(), dx);
            return StepStats.of(ce.lossSum() / n, 0.0, n);
        }
    }

    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = ends.embed(w.inputs()).out();                      // [B*T, d]
            for (DenseBlock block : blocks) {
                try (StepWorkspace scratch = StepWorkspace.scratch()) {   // nothing is kept for backward
                    block.forwardInPlace(x, batch, w.seqLen());
                }
            }
            LmEnds.Scored s = ends.score(x, w, batch, withLogits);
            return new EvalStats(s.ceSum(), n, 0.0, s.logits(), java.util.Map.of());
        }
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.denseMacsPerToken(config, seqLen);
    }
}
