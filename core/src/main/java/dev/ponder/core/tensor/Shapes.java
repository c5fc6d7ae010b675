package dev.ponder.core.tensor;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shape checks whose messages name the tensor and say what was expected and what was found. */
public final class Shapes {
    private Shapes() {}

    /** Fails unless {@code a} has exactly the given shape. */
    public static INDArray require(INDArray a, String what, long... expected) {
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + Arrays.toString(expected)
                    + ", found " + Arrays.toString(a.shape()));
        }
        return a;
    }

    /** Fails unless {@code a} is 2-D with {@code cols} columns; returns the number of rows. */
    public static long requireCols(INDArray a, String what, long cols) {
        if (a.rank() != 2 || a.size(1) != cols) {
            throw new IllegalArgumentException(what + ": expected shape [N, " + cols + "], found "
                    + Arrays.toString(a.shape()));
        }
        return a.size(0);
    }

    /** Fails unless {@code a} is a c-order array whose elements are contiguous (gemm outputs need it). */
    public static INDArray requireContiguous(INDArray a, String what) {
        if (a.ordering() != 'c' || a.elementWiseStride() != 1) {
            throw new IllegalArgumentException(what + ": expected a contiguous c-order array, found order "
                    + a.ordering() + " ews " + a.elementWiseStride() + " shape " + Arrays.toString(a.shape()));
        }
        return a;
    }

    /** Fails unless {@code value} is in [lo, hi]. */
    public static int requireRange(int value, int lo, int hi, String what) {
        if (value < lo || value > hi) {
            throw new IllegalArgumentException(what + ": expected a value in [" + lo + ", " + hi + "], found " + value);
        }
        return value;
    }

    /** Fails unless {@code actual == expected}. */
    public static void requireEqual(long actual, long expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", found " + actual);
        }
    }
}
