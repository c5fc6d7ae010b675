package dev.ponder.core.nn;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token embedding: rows of weight [vocab, d] gathered by token id. Backward scatter-adds the row
 * gradients with ND4J's locked scatter_add, which is correct when a token occurs several times in
 * the batch (the unlocked variant races and loses updates).
 */
public final class Embedding {
    private final String name;
    private final Param weight;
    private final int vocab;
    private final int dim;

    /** Registers "{name}.weight" [vocab, d]. */
    public Embedding(ParamRegistry reg, String name, int vocab, int dim, Init init) {
        this.name = name;
        this.vocab = vocab;
        this.dim = dim;
        this.weight = reg.add(name + ".weight", init, vocab, dim);
    }

    /** The token ids of the rows. */
    public record Saved(INDArray ids) {}

    public Param weight() {
        return weight;
    }

    /** ids (N token ids in [0, vocab)) -> [N, d]. */
    public Fwd<Saved> forward(int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(name + ": expected token ids in [0, " + vocab + "), found " + id);
            }
        }
        INDArray idx = Nd4j.createFromArray(ids);
        return new Fwd<>(Ops.gatherRows(weight.value(), idx), new Saved(idx));
    }

    /** dy [N, d]: weight.grad[ids[i]] += dy[i]. Returns nothing (ids have no gradient). */
    public void backward(Saved s, INDArray dy) {
        Shapes.require(dy, name + " output gradient", s.ids().length(), dim);
        Ops.scatterAdd(weight.grad(), s.ids(), dy);
    }
}
