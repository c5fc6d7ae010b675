package dev.ponder.core.model;

import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.nn.Rope;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The dense pre-LN transformer baseline (MODELS.md section 0):
 * x = Emb(tokens); per layer x += Attn(LN1(x)); x += FFN(LN2(x)); logits = Head(LN_f(x)).
 *
 * <p>Parameter names: embedding.weight, layers.{i}.ln1.{weight,bias}, layers.{i}.attn.{q,k,v,o}.weight,
 * layers.{i}.ln2.{weight,bias}, layers.{i}.ffn.{up,down}.weight (+ .bias with bias = true),
 * out_norm.{weight,bias}, lm_head.weight (absent when tied) and lm_head.bias with head_bias.
 * Embedding and LM head ~ N(0, 1/sqrt(d)) (MoEUT's embedding init); blocks: see {@link DenseBlock}.
 */
public final class DenseLm implements LanguageModel {
    private final ModelConfig config;
    private final ParamStore store;
    private final Embedding embedding;
    private final List<DenseBlock> blocks = new ArrayList<>();
    private final LayerNorm outNorm;
    private final LmHead head;

    public DenseLm(ModelConfig config, long seed, DataType dtype) {
        if (!config.family().equals("dense")) {
            throw new IllegalArgumentException("model.family: expected dense, found " + config.family());
        }
        this.config = config;
        ParamRegistry reg = new ParamRegistry();
        int d = config.dModel();
        this.embedding = new Embedding(reg, "embedding", config.vocabSize(), d, Init.normal(1.0 / Math.sqrt(d)));
        Rope rope = new Rope(config.dHead(), config.ropeDims(), config.ropeBase());
        for (int i = 0; i < config.nLayers(); i++) {
            blocks.add(new DenseBlock(reg, "layers." + i, config, rope));
        }
        this.outNorm = new LayerNorm(reg, "out_norm", d);
        this.head = config.tieEmbeddings()
                ? new LmHead(embedding.weight(), config.headBias()
                        ? reg.add("lm_head.bias", Init.zeros(), config.vocabSize()) : null)
                : new LmHead(reg, "lm_head", d, config.vocabSize(), config.headBias(), Init.normal(1.0 / Math.sqrt(d)));
        this.store = reg.build(dtype, seed);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public ParamStore params() {
        return store;
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            Fwd<Embedding.Saved> emb = embedding.forward(w.inputs());
            INDArray x = emb.out();                                          // [B*T, d], the residual stream
            List<DenseBlock.Saved> saved = new ArrayList<>(blocks.size());
            for (DenseBlock block : blocks) {
                saved.add(block.forwardInPlace(x, batch, w.seqLen()));
            }
            Fwd<LayerNorm.Saved> fin = outNorm.forward(x);
            LmHead.Result ce = head.lossAndGrad(fin.out(), w.targets(), 1.0 / n);
            INDArray dx = outNorm.backward(fin.saved(), ce.dx());
            for (int i = blocks.size() - 1; i >= 0; i--) {
                try (StepWorkspace scratch = StepWorkspace.scratch()) {   // dx is updated in place
                    blocks.get(i).backwardInPlace(saved.get(i), dx);
                }
            }
            embedding.backward(emb.saved(), dx);
            return StepStats.of(ce.lossSum() / n, 0.0, n);
        }
    }

    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            INDArray x = embedding.forward(w.inputs()).out();
            for (DenseBlock block : blocks) {
                try (StepWorkspace scratch = StepWorkspace.scratch()) {   // nothing is kept for backward
                    block.forwardInPlace(x, batch, w.seqLen());
                }
            }
            INDArray xf = outNorm.forward(x).out();
            INDArray logits = withLogits ? Nd4j.createUninitialized(xf.dataType(), n, config.vocabSize()) : null;
            double sum = head.loss(xf, w.targets(), logits);
            INDArray out = withLogits
                    // [B*T, V] -> [B, T, V]
                    ? StepWorkspace.detach(logits.reshape(batch, w.seqLen(), config.vocabSize())) : null;
            return new EvalStats(sum, n, 0.0, out, java.util.Map.of());
        }
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.denseMacsPerToken(config, seqLen);
    }

    @Override
    public long headMacsPerToken() {
        return FlopCount.headMacsPerToken(config);
    }
}
