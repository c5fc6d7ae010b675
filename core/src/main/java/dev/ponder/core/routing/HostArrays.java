package dev.ponder.core.routing;

import dev.ponder.core.tensor.Shapes;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between contiguous ND4J arrays (FLOAT or DOUBLE) and Java double[] for the routing
 * work that is done on the host (top-k, sorting, regularisers): one NIO copy instead of an ND4J op
 * or a call per element. Doubles keep gradient checks exact; a float model converts on the way.
 */
public final class HostArrays {
    private HostArrays() {}

    /** All values of {@code a} in c-order (a view that is not contiguous is copied first). */
    public static double[] read(INDArray a) {
        INDArray c = contiguous(a);
        int n = (int) c.length();
        double[] out = new double[n];
        int off = (int) c.offset();
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(off, out, 0, n);
        } else if (c.dataType() == DataType.FLOAT) {
            FloatBuffer b = c.data().asNioFloat();
            float[] tmp = new float[n];
            b.get(off, tmp, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] = tmp[i];
            }
        } else {
            throw new IllegalArgumentException("host read: expected FLOAT or DOUBLE, found " + c.dataType());
        }
        return out;
    }

    /** Overwrites the contiguous array {@code dst} with {@code values} (c-order). */
    public static void write(double[] values, INDArray dst) {
        Shapes.requireContiguous(dst, "host write target");
        Shapes.requireEqual(dst.length(), values.length, "host write length");
        int off = (int) dst.offset();
        if (dst.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = dst.data().asNioDouble();
            b.put(off, values, 0, values.length);
        } else if (dst.dataType() == DataType.FLOAT) {
            float[] tmp = new float[values.length];
            for (int i = 0; i < tmp.length; i++) {
                tmp[i] = (float) values[i];
            }
            dst.data().asNioFloat().put(off, tmp, 0, tmp.length);
        } else {
            throw new IllegalArgumentException("host write: expected FLOAT or DOUBLE, found " + dst.dataType());
        }
    }

    /** A new array of {@code dtype} and {@code shape} holding {@code values} (c-order). */
    public static INDArray create(double[] values, DataType dtype, long... shape) {
        INDArray out = Nd4j.createUninitialized(dtype, shape);
        write(values, out);
        return out;
    }

    private static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && a.elementWiseStride() == 1 ? a : a.dup('c');
    }
}
