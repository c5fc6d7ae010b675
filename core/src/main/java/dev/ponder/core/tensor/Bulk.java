package dev.ponder.core.tensor;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between contiguous ND4J arrays and Java arrays through NIO views of the native
 * memory: no per-element INDArray calls (measured: 0.6 s instead of 0.9 s per averaging round of
 * 10M parameters on Spark, see ARCHITECTURE.md). Works on views of a larger buffer (the flat
 * parameter buffer) by honouring the view's offset.
 */
public final class Bulk {
    private Bulk() {}

    /** Copies all of {@code src} (contiguous, c-order) into {@code dst[dstOffset ...]}. */
    public static void copyTo(INDArray src, float[] dst, int dstOffset) {
        int n = checkedLength(src, dst.length - dstOffset, "copyTo");
        int off = (int) src.offset();
        if (src.dataType() == DataType.FLOAT) {
            FloatBuffer b = src.data().asNioFloat();
            b.position(off);
            b.get(dst, dstOffset, n);
        } else if (src.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = src.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = (float) b.get(off + i);
            }
        } else {
            throw new IllegalArgumentException("copyTo: expected FLOAT or DOUBLE, found " + src.dataType());
        }
    }

    /** Copies {@code src[srcOffset ...]} into all of {@code dst} (contiguous, c-order). */
    public static void copyFrom(float[] src, int srcOffset, INDArray dst) {
        int n = checkedLength(dst, src.length - srcOffset, "copyFrom");
        int off = (int) dst.offset();
        if (dst.dataType() == DataType.FLOAT) {
            FloatBuffer b = dst.data().asNioFloat();
            b.position(off);
            b.put(src, srcOffset, n);
        } else if (dst.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = dst.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                b.put(off + i, src[srcOffset + i]);
            }
        } else {
            throw new IllegalArgumentException("copyFrom: expected FLOAT or DOUBLE, found " + dst.dataType());
        }
    }

    private static int checkedLength(INDArray a, int room, String what) {
        Shapes.requireContiguous(a, what);
        if (a.length() > room) {
            throw new IllegalArgumentException(what + ": expected room for " + a.length() + " values, found " + room);
        }
        return (int) a.length();
    }
}
