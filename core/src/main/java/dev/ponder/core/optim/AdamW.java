package dev.ponder.core.optim;

import dev.ponder.core.params.ParamLayout;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.tensor.Bulk;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.StepWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * AdamW on the flat buffers: ND4J's {@link AdamUpdater} over the whole flat gradient with one flat
 * state array [2n] = (m, v), plus decoupled weight decay p *= (1 - lr * wd) applied first, as
 * PyTorch's AdamW does. Decay applies to the tensors registered with decay = true (by default the
 * matrices, not LayerNorm weights or biases), as contiguous ranges of the flat buffer.
 *
 * <p>ND4J's update for step t = iteration + 1 is
 * lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), i.e. PyTorch's formula with eps scaled by
 * sqrt(1 - b2^t) (the "epsilon hat" form of the Adam paper); the difference is of order eps.
 *
 * <p>FLOAT parameters on the CPU take one fused host pass ({@link AdamWKernel}, same formula);
 * {@link #stepReference} is the ND4J path. The reference path consumes the gradient buffer (the
 * updater writes the update into it); callers must not read gradients after a step.
 * The state and step counter are exposed for averaging across workers and for checkpoints.
 */
public final class AdamW {
    /** beta1, beta2, eps and the decoupled weight-decay coefficient. */
    public record Config(double beta1, double beta2, double eps, double weightDecay) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("adam betas: expected values in [0, 1), found " + beta1 + ", " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("adam eps: expected > 0, found " + eps);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("weight_decay: expected >= 0, found " + weightDecay);
            }
        }

        /** beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.01 (the MoEUT recipe's decay). */
        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8, 0.01);
        }
    }

    private final ParamStore store;
    private final Config config;
    private final INDArray state;
    private final Adam adam;
    private final AdamUpdater updater;
    private long step;

    public AdamW(ParamStore store, Config config) {
        this.store = store;
        this.config = config;
        long n = store.size();
        try (MemoryWorkspace ignored = StepWorkspace.outside()) {
            this.state = Nd4j.create(store.dataType(), 2 * n);
        }
        this.adam = new Adam(1e-3, config.beta1(), config.beta2(), config.eps());
        this.updater = new AdamUpdater(adam);
        // ND4J wants a row vector; reshape is a view, so the updater works on our state in place.
        updater.setStateViewArray(state.reshape(1, 2 * n), new long[] {1, n}, 'c', false);
    }

    public Config config() {
        return config;
    }

    /** The optimizer state [2 * params]: first moments then second moments. */
    public INDArray state() {
        return state;
    }

    /** Number of updates applied so far (drives bias correction and the schedule). */
    public long stepCount() {
        return step;
    }

    /** Restores the update counter (checkpoint resume). */
    public void setStepCount(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step: expected >= 0, found " + step);
        }
        this.step = step;
    }

    /** Applies one update with learning rate {@code lr} from the current gradient buffer. */
    public void step(double lr) {
        step(lr, 1.0);
    }

    /**
     * Applies one update from the gradient buffer times {@code gradScale} (a clip factor,
     * {@link GradClip#scale}): on the host kernel the factor rides on the update's own pass, else the
     * gradient is scaled first.
     */
    public void step(double lr, double gradScale) {
        INDArray p = store.params();
        if (HostRows.available(p.reshape(1, p.length()))) {
            long t = step + 1;
            double alphaT = lr * Math.sqrt(1 - Math.pow(config.beta2(), t)) / (1 - Math.pow(config.beta1(), t));
            AdamWKernel.step(flatBytes(p), flatBytes(store.grads()), flatBytes(state),
                    Math.toIntExact(store.size()), store.layout().decayRuns(), 1.0 - lr * config.weightDecay(),
                    config, alphaT, gradScale);
            step++;
            return;
        }
        if (gradScale != 1.0) {
            store.grads().muli(gradScale);
        }
        stepReference(lr);
    }

    /** A flat FLOAT buffer's host memory as native-order bytes. */
    private static java.nio.ByteBuffer flatBytes(INDArray v) {
        return HostRows.of(v.reshape(1, v.length())).bytes();
    }

    /** The ND4J updater path: the reference the fused kernel is checked against (and double precision). */
    void stepReference(double lr) {
        try (StepWorkspace ignored = StepWorkspace.open()) {
            double decay = 1.0 - lr * config.weightDecay();
            if (decay != 1.0) {
                INDArray p = store.params();
                for (ParamLayout.Range r : store.layout().decayRuns()) {
                    p.get(NDArrayIndex.interval(r.offset(), r.offset() + r.length())).muli(decay);
                }
            }
            adam.setLearningRate(lr);
            INDArray g = store.grads().reshape(1, store.size());
            updater.applyUpdater(g, Math.toIntExact(step), 0);  // g := Adam update (includes lr)
            store.params().subi(store.grads());
        }
        step++;
    }

    public void copyStateTo(float[] dst) {
        Bulk.copyTo(state, dst, 0);
    }

    public void copyStateFrom(float[] src) {
        Bulk.copyFrom(src, 0, state);
    }
}
