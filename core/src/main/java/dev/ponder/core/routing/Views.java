package dev.ponder.core.routing;

import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sub-views (contiguous blocks, or leading-column blocks of rows) built from the data buffer,
 * offset and strides directly.
 *
 * <p>Why: on a parameter tensor (a reshaped interval view of the flat buffer), ND4J M2.1's
 * {@code slice(e)} and {@code get(point(e), all(), all())} return wrong views past the first half of
 * the tensor (measured: [8, 6, 4] view at offset 96, experts 4..7 read the wrong memory or fail with a
 * null buffer). An explicit (buffer, shape, stride, offset) view is always right.
 */
public final class Views {
    private Views() {}

    /** Matrix {@code e} of a c-order [E, a, b] array: a contiguous [a, b] view. */
    public static INDArray matrix(INDArray w, long e) {
        requireC(w, "expert weights");
        long a = w.size(1);
        long b = w.size(2);
        return Nd4j.create(w.data(), new long[] {a, b}, new long[] {b, 1}, w.offset() + e * a * b, 'c');
    }

    /** Rows [from, from + n) of a c-order [m, c] array: a contiguous [n, c] view. */
    public static INDArray rows(INDArray m, long from, long n) {
        requireC(m, "row block source");
        long c = m.size(1);
        return Nd4j.create(m.data(), new long[] {n, c}, new long[] {c, 1}, m.offset() + from * c, 'c');
    }

    /**
     * Rows [from, from + n) and the leading {@code cols} columns of a c-order [m, c] array: an
     * [n, cols] view whose rows keep the source's stride c (a width slice of a weight matrix).
     */
    public static INDArray block(INDArray m, long from, long n, long cols) {
        requireC(m, "block source");
        long c = m.size(1);
        if (from < 0 || n < 1 || from + n > m.size(0) || cols < 1 || cols > c) {
            throw new IllegalArgumentException("block: expected rows [" + from + ", " + (from + n) + ") and "
                    + cols + " columns inside [" + m.size(0) + ", " + c + "]");
        }
        return Nd4j.create(m.data(), new long[] {n, cols}, new long[] {c, 1}, m.offset() + from * c, 'c');
    }

    /** Elements [from, from + n) of a contiguous rank-1 array: a contiguous [n] view. */
    public static INDArray range(INDArray v, long from, long n) {
        requireC(v, "range source");
        return Nd4j.create(v.data(), new long[] {n}, new long[] {1}, v.offset() + from, 'c');
    }

    private static void requireC(INDArray a, String what) {
        Shapes.requireContiguous(a, what);
    }
}
