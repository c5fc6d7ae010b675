package dev.ponder.core.model;

import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LayerNorm;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.StepWorkspace;
import dev.ponder.core.width.Width;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two ends every family shares around its blocks: the token embedding ("embedding.weight",
 * N(0, 1/sqrt d)) and the output side, final LayerNorm then the chunked LM head.
 *
 * <p>The families register these at different points (MoEUT's head before its norm, SUT's norm
 * after its halting gate, SHARCS's router after the head), and registration order is the flat buffer
 * layout while the names are the checkpoint and export contract; so {@link #register} takes the
 * embedding first and the {@link Builder} adds norm and head in the order its caller calls it.
 *
 * <p>SHARCS has one final norm per width (out_norm_w0p25, ..., out_norm at full width) and feeds the
 * head a width slice x [N, dW]; the methods taking a width index serve it. The others have one norm,
 * out_norm, which is also what the methods without a width index use.
 *
 * <p>Phase timing stays with the callers: the families time these steps differently (some not at all).
 */
final class LmEnds {
    private final ModelConfig config;
    private final Embedding embedding;
    private final LayerNorm[] norms;                                   // per width index; widths ascend to 1.0
    private final LmHead head;

    private LmEnds(Builder b) {
        if (b.norms == null || b.head == null) {
            throw new IllegalStateException("LmEnds: expected the final norm and the head registered before build()");
        }
        this.config = b.config;
        this.embedding = b.embedding;
        this.norms = b.norms;
        this.head = b.head;
    }

    /** Registers embedding.weight [V, d] now; the norm and head follow through the builder. */
    static Builder register(ParamRegistry reg, ModelConfig config) {
        return new Builder(reg, config);
    }

    /** Adds the output side's parameters in call order. */
    static final class Builder {
        private final ParamRegistry reg;
        private final ModelConfig config;
        private final Embedding embedding;
        private LayerNorm[] norms;
        private LmHead head;

        private Builder(ParamRegistry reg, ModelConfig config) {
            this.reg = reg;
            this.config = config;
            int d = config.dModel();
            this.embedding = new Embedding(reg, "embedding", config.vocabSize(), d, Init.normal(1.0 / Math.sqrt(d)));
        }

        /** out_norm.{weight,bias} [d]. */
        Builder outNorm() {
            norms = new LayerNorm[] {new LayerNorm(reg, "out_norm", config.dModel())};
            return this;
        }

        /** One norm per width in index order: out_norm_{suffix} [dW] below full width, out_norm at 1.0. */
        Builder outNorms(List<Width> widths) {
            norms = new LayerNorm[widths.size()];
            for (Width w : widths) {
                norms[w.index()] = new LayerNorm(reg, w.full() ? "out_norm" : "out_norm_" + w.suffix(), w.dModel());
            }
            return this;
        }

        /**
         * The configured head: tie_embeddings reuses embedding.weight, else lm_head.weight [V, d]
         * ~ N(0, 1/sqrt d); lm_head.bias [V] (zeros) with head_bias.
         */
        Builder head() {
            int d = config.dModel();
            int v = config.vocabSize();
            head = config.tieEmbeddings()
                    ? new LmHead(embedding.weight(), config.headBias() ? reg.add("lm_head.bias", Init.zeros(), v)
                            : null)
                    : new LmHead(reg, "lm_head", d, v, config.headBias(), Init.normal(1.0 / Math.sqrt(d)));
            return this;
        }

        /**
         * The MoEUT reference's head (also SUT's): lm_head.weight [V, d] and lm_head.bias [V], both
         * PyTorch Linear's default U(+-1/sqrt d), bias not weight-decayed; tie_embeddings and
         * head_bias do not apply.
         */
        Builder uniformHead() {
            int d = config.dModel();
            Init init = Init.uniform(1.0 / Math.sqrt(d));
            head = new LmHead(reg.add("lm_head.weight", init, config.vocabSize(), d),
                    reg.add("lm_head.bias", init, false, config.vocabSize()));
            return this;
        }

        LmEnds build() {
            return new LmEnds(this);
        }
    }

    /** ids [N] -> the residual stream [N, d] (a new array the blocks may update in place). */
    Fwd<Embedding.Saved> embed(int[] ids) {
        return embedding.forward(ids);
    }

    /** dx [N, d]: accumulates the embedding's gradient. */
    void embedBackward(Embedding.Saved s, INDArray dx) {
        embedding.backward(s, dx);
    }

    /**
     * Training tail at full width: x [N, d] -> out_norm -> head. Returns the summed CE and dx [N, d],
     * the gradient of gradScale x summed CE; the head's and norm's gradients are accumulated.
     */
    LmHead.Result lossAndGrad(INDArray x, int[] targets, double gradScale) {
        return lossAndGrad(norms.length - 1, x, targets, gradScale, null);
    }

    /** As above at width index {@code width}: x [N, dW] through that width's norm and the sliced head. */
    LmHead.Result lossAndGrad(int width, INDArray x, int[] targets, double gradScale, double[] rowLoss) {
        LayerNorm norm = norms[width];
        Fwd<LayerNorm.Saved> fin = norm.forward(x);
        LmHead.Result ce = head.lossAndGrad(fin.out(), targets, gradScale, rowLoss);
        return new LmHead.Result(ce.lossSum(), norm.backward(fin.saved(), ce.dx()));     // dx [N, dW]
    }

    /**
     * Forward only at width index {@code width}: x [N, dW] -> norm -> head; the summed CE, each row's
     * CE into rowLoss and the logits into logitsOut [N, V] (each when given).
     */
    double loss(int width, INDArray x, int[] targets, INDArray logitsOut, double[] rowLoss) {
        return head.loss(norms[width].forward(x).out(), targets, logitsOut, rowLoss);
    }

    /** A forward-only tail's summed CE and, when asked for, the logits [B, T, V]. */
    record Scored(double ceSum, INDArray logits) {}

    /**
     * Forward-only tail at full width over a batch: x [B*T, d] -> summed CE against w's targets and,
     * with {@code withLogits}, the logits [B, T, V] detached from the step workspace.
     */
    Scored score(INDArray x, Windows w, int batch, boolean withLogits) {
        INDArray logits = withLogits ? newLogits(x, w.targets().length) : null;       // [B*T, V]
        double sum = loss(norms.length - 1, x, w.targets(), logits, null);
        return new Scored(sum, withLogits ? detachLogits(logits, batch, w.seqLen()) : null);
    }

    /** An uninitialised buffer [rows, V] in x's data type, for the head to fill. */
    INDArray newLogits(INDArray x, long rows) {
        return Nd4j.createUninitialized(x.dataType(), rows, config.vocabSize());
    }

    /** logits [B*T, V] -> [B, T, V], detached from the step workspace so that it outlives the step. */
    INDArray detachLogits(INDArray logits, int batch, int t) {
        return StepWorkspace.detach(logits.reshape(batch, t, config.vocabSize()));
    }
}
