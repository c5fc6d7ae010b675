package dev.ponder.core.params;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Collects parameter tensors while a model's layers are constructed, then allocates the flat buffers
 * once. Tensors are laid out in registration order, so a model built twice from the same
 * configuration has the same layout (checkpoints rely on the (name, shape, offset) index anyway).
 *
 * <p>Weight decay default: tensors of rank >= 2 (matrices, embeddings) are decayed; rank-1 tensors
 * (LayerNorm weights and biases, Linear biases) are not, as in nanoGPT and the MoEUT training code.
 */
public final class ParamRegistry {
    /** Set only for the duration of {@link #withoutInitialization}, on the calling thread. */
    private static final ThreadLocal<Boolean> SKIP_INIT = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final List<ParamSpec> specs = new ArrayList<>();
    private final List<Param> handles = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private long next;
    private boolean built;

    /** Registers a tensor with the default decay rule (rank >= 2 decays). */
    public Param add(String name, Init init, long... shape) {
        return add(name, init, shape.length >= 2, shape);
    }

    /** Registers a tensor with an explicit weight-decay flag. */
    public Param add(String name, Init init, boolean decay, long... shape) {
        ParamSpec s = register(name, init, decay, shape);
        return handle(new Param(name, shape, s.offset(), s.length()));
    }

    /**
     * Registers {@code names.size()} consecutive tensors of shape {@code partShape} and returns one
     * handle viewing them stacked along dim 0, [names.size() * partShape[0], partShape[1..]] (each
     * keeps its own name, init stream and export entry).
     */
    public Param addStack(String label, List<String> names, Init init, boolean decay, long... partShape) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException(label + ": expected at least one stacked tensor, found none");
        }
        long first = -1;
        long len = 0;
        for (String n : names) {
            ParamSpec s = register(n, init, decay, partShape);
            if (first < 0) {
                first = s.offset();
            }
            len += s.length();
        }
        long[] shape = partShape.clone();
        shape[0] *= names.size();
        return handle(new Param(label, shape, first, len));
    }

    /** Allocates the buffers in {@code dtype}, binds all handles and initialises from {@code seed}. */
    public ParamStore build(DataType dtype, long seed) {
        if (built) {
            throw new IllegalStateException("ParamRegistry.build called twice");
        }
        built = true;
        ParamStore store = new ParamStore(new ParamLayout(specs), dtype);
        for (Param p : handles) {
            p.bind(store);
        }
        if (!SKIP_INIT.get()) {
            store.initialize(seed);
        }
        return store;
    }

    /**
     * Runs {@code build} with every registry built on this thread leaving its parameters at zero
     * instead of drawing them from the seed: for replicas whose parameters are all overwritten
     * right after (a Spark task loading the broadcast weights), where the draws cost seconds per
     * task at 10M parameters. Scoped to the call: nothing carries over to later models or tasks.
     */
    public static <T> T withoutInitialization(java.util.function.Supplier<T> build) {
        Boolean before = SKIP_INIT.get();
        SKIP_INIT.set(Boolean.TRUE);
        try {
            return build.get();
        } finally {
            SKIP_INIT.set(before);
        }
    }

    private ParamSpec register(String name, Init init, boolean decay, long... shape) {
        if (built) {
            throw new IllegalStateException("cannot add '" + name + "': the registry is already built");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate parameter name '" + name + "'");
        }
        long len = ParamSpec.product(shape);
        ParamSpec s = new ParamSpec(name, shape, next, len, decay, init);
        specs.add(s);
        next += len;
        return s;
    }

    private Param handle(Param p) {
        handles.add(p);
        return p;
    }
}
