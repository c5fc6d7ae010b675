package dev.ponder.core.params;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer's handle on a parameter tensor: after {@link ParamRegistry#build} it gives c-order views
 * into the flat parameter and gradient buffers. A handle may also span several consecutive
 * registered tensors as one stacked view (for example q, k and v weights as one [3*H*dh, d] matrix,
 * so the three projections run as a single gemm while keeping their own names for export).
 */
public final class Param {
    private final String name;
    private final long[] shape;
    private final long offset;
    private final long length;
    private INDArray value;
    private INDArray grad;

    Param(String name, long[] shape, long offset, long length) {
        this.name = name;
        this.shape = shape.clone();
        this.offset = offset;
        this.length = length;
    }

    /** The registered name, or the label of a stacked handle. */
    public String name() {
        return name;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long size(int dim) {
        return shape[dim];
    }

    /** Offset of the first scalar in the flat buffers. */
    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    /** The parameter values (a view into the flat parameter buffer). */
    public INDArray value() {
        requireBound();
        return value;
    }

    /** The gradient accumulator (a view into the flat gradient buffer; backward passes add to it). */
    public INDArray grad() {
        requireBound();
        return grad;
    }

    void bind(ParamStore store) {
        this.value = store.view(store.params(), offset, length, shape);
        this.grad = store.view(store.grads(), offset, length, shape);
    }

    private void requireBound() {
        if (value == null) {
            throw new IllegalStateException("parameter '" + name + "' is not bound: build the ParamRegistry first");
        }
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
