package dev.ponder.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A float array's host memory as a {@link FloatBuffer} for fused Java kernels (LayerNorm), and as
 * native-order bytes for the Vector API kernels ({@link HostVectors}): element (i, j) of a row-major
 * [rows, cols] array is float {@code i * ld + j} of both. CPU backend and FLOAT only;
 * callers keep an ND4J path for everything else (double precision gradient checks, CUDA).
 *
 * <p>The buffer starts at the array's first element: a view's data buffer already points at
 * {@code data().offset()} (measured on M2.1), so only the array's offset beyond it is added.
 */
public record HostRows(FloatBuffer buf, ByteBuffer bytes, int rows, int cols, int ld) {
    /** Whether {@link #of} serves this array. */
    public static boolean available(INDArray a) {
        return a.dataType() == DataType.FLOAT && HostGemm.hostMatrix(a) != null;
    }

    /** The rows of a row-major FLOAT [rows, cols] array (see {@link #available}). */
    public static HostRows of(INDArray a) {
        if (!available(a)) {
            throw new IllegalArgumentException("host rows: expected a row-major FLOAT matrix on the CPU, found "
                    + a.dataType() + " " + java.util.Arrays.toString(a.shape()) + " strides "
                    + java.util.Arrays.toString(a.stride()));
        }
        HostGemm.Mat m = HostGemm.rowMajor(a);                         // the same layout rule as the gemms
        return at(a, m.rows(), m.cols(), m.ld());
    }

    /** Rows of a's memory from its first element: [rows, cols], rows ld apart. */
    private static HostRows at(INDArray a, int rows, int cols, int ld) {
        Pointer base = a.data().addressPointer();
        long pos = firstElement(a);
        long extent = (long) (rows - 1) * ld + cols;
        FloatBuffer buf = new FloatPointer(base).position(pos).limit(pos + extent).asBuffer();
        // the same memory as bytes for the Vector API kernels (HostVectors), element i at byte 4 i
        ByteBuffer bytes = new BytePointer(base).position(pos * 4).limit((pos + extent) * 4).asBuffer()
                .order(ByteOrder.nativeOrder());
        return new HostRows(buf, bytes, rows, cols, ld);
    }

    /**
     * Whether {@code a} is a FLOAT array on the CPU whose elements are contiguous in c order (any
     * rank; views included), so that {@link #flat} can address it as rows.
     */
    public static boolean contiguous(INDArray a) {
        if (a.dataType() != DataType.FLOAT || !HostGemm.available(a) || a.isEmpty()) {
            return false;
        }
        long expected = 1;                           // c-order strides; a size-1 dim's stride is arbitrary
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) > 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    /**
     * A c-contiguous FLOAT array (see {@link #contiguous}) of any rank as row-major [rows, cols]
     * with rows * cols its length: a [BH, T, dh] stack of matrices as [BH * T, dh].
     */
    public static HostRows flat(INDArray a, int rows, int cols) {
        if (!contiguous(a) || (long) rows * cols != a.length()) {
            throw new IllegalArgumentException("host rows: expected a c-contiguous FLOAT array of " + rows + " x "
                    + cols + " elements on the CPU, found " + a.dataType() + " " + java.util.Arrays.toString(a.shape())
                    + " strides " + java.util.Arrays.toString(a.stride()));
        }
        return at(a, rows, cols, cols);                                  // no reshape: never a copy
    }

    /** A rank-1 contiguous FLOAT array of n elements as a buffer (a LayerNorm weight). */
    public static FloatBuffer vector(INDArray v) {
        return of(v.reshape(1, v.length())).buf();
    }

    /**
     * Position of a's first element past its data buffer's host address: a view's buffer already
     * points at {@code data().offset()}, so only the array's offset beyond it counts.
     */
    static long firstElement(INDArray a) {
        return a.offset() - a.data().offset();
    }

    public int index(int row, int col) {
        return row * ld + col;
    }
}
