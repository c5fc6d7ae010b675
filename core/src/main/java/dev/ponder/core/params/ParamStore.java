package dev.ponder.core.params;

import dev.ponder.core.tensor.Bulk;
import dev.ponder.core.tensor.Rng;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The flat parameter buffer and the flat gradient buffer (rank-1, length {@link #size()}, same
 * layout), plus named views. Both buffers live outside any workspace for the life of the model.
 */
public final class ParamStore {
    private final ParamLayout layout;
    private final DataType dtype;
    private final INDArray params;
    private final INDArray grads;

    ParamStore(ParamLayout layout, DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("parameter dtype: expected FLOAT or DOUBLE, found " + dtype);
        }
        if (layout.size() == 0) {
            throw new IllegalArgumentException("parameter layout: expected at least one tensor, found none");
        }
        this.layout = layout;
        this.dtype = dtype;
        try (MemoryWorkspace ignored = StepWorkspace.outside()) {
            this.params = Nd4j.create(dtype, layout.size());
            this.grads = Nd4j.create(dtype, layout.size());
        }
    }

    public ParamLayout layout() {
        return layout;
    }

    /** Ordered (name, shape, offset, length, decay) of every tensor: the checkpoint/export index. */
    public List<ParamSpec> specs() {
        return layout.specs();
    }

    public DataType dataType() {
        return dtype;
    }

    /** Number of scalar parameters. */
    public long size() {
        return layout.size();
    }

    /** The flat parameter buffer [size]. */
    public INDArray params() {
        return params;
    }

    /** The flat gradient buffer [size], same layout as {@link #params()}. */
    public INDArray grads() {
        return grads;
    }

    public void zeroGrads() {
        grads.assign(0);
    }

    /** A view of the named tensor's values. */
    public INDArray value(String name) {
        ParamSpec s = layout.spec(name);
        return view(params, s.offset(), s.length(), s.shape());
    }

    /** A view of the named tensor's gradient. */
    public INDArray grad(String name) {
        ParamSpec s = layout.spec(name);
        return view(grads, s.offset(), s.length(), s.shape());
    }

    /** Re-initialises every tensor from {@code Rng(seed).split(name)}. */
    public void initialize(long seed) {
        Rng root = new Rng(seed);
        for (ParamSpec s : layout.specs()) {
            s.init().apply(value(s.name()), root.split(s.name()));
        }
    }

    /** Copies all parameters into {@code dst[0 .. size)} in one bulk copy. */
    public void copyParamsTo(float[] dst) {
        Bulk.copyTo(params, dst, 0);
    }

    /** Overwrites all parameters from {@code src[0 .. size)}. */
    public void copyParamsFrom(float[] src) {
        Bulk.copyFrom(src, 0, params);
    }

    public void copyGradsTo(float[] dst) {
        Bulk.copyTo(grads, dst, 0);
    }

    public void copyGradsFrom(float[] src) {
        Bulk.copyFrom(src, 0, grads);
    }

    /** A new float[] holding all parameters. */
    public float[] paramsToArray() {
        float[] out = new float[Math.toIntExact(size())];
        copyParamsTo(out);
        return out;
    }

    INDArray view(INDArray flat, long offset, long length, long[] shape) {
        try (MemoryWorkspace ignored = StepWorkspace.outside()) {
            return flat.get(NDArrayIndex.interval(offset, offset + length)).reshape('c', shape);
        }
    }
}
