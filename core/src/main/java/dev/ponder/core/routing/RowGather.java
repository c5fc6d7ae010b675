package dev.ponder.core.routing;

import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.Shapes;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row movement for dispatch, done with NIO bulk copies on the arrays' native memory.
 *
 * <p>Why not ND4J: its gather op (and pullRows) took about 250 ms to gather 32768 rows of 256
 * floats here; a per-row absolute bulk copy takes about 3 ms. Combining is written as a gather-sum
 * over a CSR grouping (each output row sums its own slots) rather than a scatter-add: no two writers
 * share a row, so it needs no locks and its result does not depend on thread timing. Large
 * moves are split over the task's threads ({@link HostParallel}).
 */
public final class RowGather {
    private RowGather() {}

    /** dst[i] = src[rows[i]] for every i (src [n, c], dst [rows.length, c], both contiguous). */
    public static void gather(INDArray src, int[] rows, INDArray dst) {
        int c = check(src, dst, rows.length, "gather");
        int so = (int) src.offset();
        int dof = (int) dst.offset();
        boolean isFloat = src.dataType() == DataType.FLOAT;
        HostParallel.forRange(rows.length, (long) rows.length * c, (from, to) -> {
            if (isFloat) {
                FloatBuffer s = src.data().asNioFloat();
                FloatBuffer d = dst.data().asNioFloat();
                for (int i = from; i < to; i++) {
                    d.put(dof + i * c, s, so + rows[i] * c, c);
                }
            } else {
                DoubleBuffer s = src.data().asNioDouble();
                DoubleBuffer d = dst.data().asNioDouble();
                for (int i = from; i < to; i++) {
                    d.put(dof + i * c, s, so + rows[i] * c, c);
                }
            }
        });
    }

    /**
     * dst[dstRows[i]] = src[srcRows[i]] for every i (src [n, c], dst [m, c], both contiguous; other
     * rows of dst are left as they are). Distinct destination rows make the parallel split safe.
     */
    public static void copyRows(INDArray src, int[] srcRows, INDArray dst, int[] dstRows) {
        if (srcRows.length != dstRows.length) {
            throw new IllegalArgumentException("copy rows: expected as many source as target rows, found "
                    + srcRows.length + " and " + dstRows.length);
        }
        int c = check(src, dst, (int) dst.size(0), "copy rows");
        int so = (int) src.offset();
        int dof = (int) dst.offset();
        boolean isFloat = src.dataType() == DataType.FLOAT;
        HostParallel.forRange(srcRows.length, (long) srcRows.length * c, (from, to) -> {
            if (isFloat) {
                FloatBuffer s = src.data().asNioFloat();
                FloatBuffer d = dst.data().asNioFloat();
                for (int i = from; i < to; i++) {
                    d.put(dof + dstRows[i] * c, s, so + srcRows[i] * c, c);
                }
            } else {
                DoubleBuffer s = src.data().asNioDouble();
                DoubleBuffer d = dst.data().asNioDouble();
                for (int i = from; i < to; i++) {
                    d.put(dof + dstRows[i] * c, s, so + srcRows[i] * c, c);
                }
            }
        });
    }

    /**
     * dst[rows[i]] += src[i] for every i with rows[i] >= 0 (src [rows.length, c], dst [m, c], both
     * contiguous): the scatter back of a row subset (Mixture-of-Depths). The targets must be
     * distinct (each is written by one thread); a negative target skips its row (padding).
     */
    public static void addRows(INDArray src, int[] rows, INDArray dst) {
        int c = check(dst, src, rows.length, "add-rows");
        int so = (int) src.offset();
        int dof = (int) dst.offset();
        boolean isFloat = src.dataType() == DataType.FLOAT;
        HostParallel.forRange(rows.length, 2L * rows.length * c, (from, to) -> {
            if (isFloat) {
                FloatBuffer s = src.data().asNioFloat();
                FloatBuffer d = dst.data().asNioFloat();
                float[] a = new float[c];
                float[] b = new float[c];
                for (int i = from; i < to; i++) {
                    if (rows[i] >= 0) {
                        s.get(so + i * c, a, 0, c);
                        d.get(dof + rows[i] * c, b, 0, c);
                        for (int j = 0; j < c; j++) {
                            b[j] += a[j];
                        }
                        d.put(dof + rows[i] * c, b, 0, c);
                    }
                }
            } else {
                DoubleBuffer s = src.data().asNioDouble();
                DoubleBuffer d = dst.data().asNioDouble();
                double[] a = new double[c];
                double[] b = new double[c];
                for (int i = from; i < to; i++) {
                    if (rows[i] >= 0) {
                        s.get(so + i * c, a, 0, c);
                        d.get(dof + rows[i] * c, b, 0, c);
                        for (int j = 0; j < c; j++) {
                            b[j] += a[j];
                        }
                        d.put(dof + rows[i] * c, b, 0, c);
                    }
                }
            }
        });
    }

    /** Sets rows {@code rows} of the contiguous [m, c] array {@code dst} to 0. */
    public static void zeroRows(INDArray dst, int[] rows) {
        Shapes.requireContiguous(dst, "zero rows target");
        int c = (int) dst.size(1);
        int dof = (int) dst.offset();
        if (dst.dataType() == DataType.FLOAT) {
            FloatBuffer d = dst.data().asNioFloat();
            float[] zero = new float[c];
            for (int r : rows) {
                d.put(dof + r * c, zero, 0, c);
            }
        } else {
            DoubleBuffer d = dst.data().asNioDouble();
            double[] zero = new double[c];
            for (int r : rows) {
                d.put(dof + r * c, zero, 0, c);
            }
        }
    }

    /**
     * dst[r] = sum of src[groups.order[q]] for q in groups' range of r (src [m, c], dst [nRows, c]);
     * rows without entries become 0. Overwrites dst.
     */
    public static void gatherSum(INDArray src, SlotSort.Sorted groups, INDArray dst) {
        int rows = groups.offsets().length - 1;
        int c = check(src, dst, rows, "gather-sum");
        int[] ptr = groups.offsets();
        int[] list = groups.order();
        int so = (int) src.offset();
        int dof = (int) dst.offset();
        boolean isFloat = src.dataType() == DataType.FLOAT;
        HostParallel.forRange(rows, (long) list.length * c, (from, to) -> {
            if (isFloat) {
                sumFloat(src, dst, ptr, list, c, so, dof, from, to);
            } else {
                sumDouble(src, dst, ptr, list, c, so, dof, from, to);
            }
        });
    }

    private static void sumFloat(INDArray src, INDArray dst, int[] ptr, int[] list, int c, int so, int dof,
                                 int from, int to) {
        FloatBuffer s = src.data().asNioFloat();
        FloatBuffer d = dst.data().asNioFloat();
        float[] acc = new float[c];
        float[] row = new float[c];
        for (int r = from; r < to; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int q = ptr[r]; q < ptr[r + 1]; q++) {
                s.get(so + list[q] * c, row, 0, c);
                for (int j = 0; j < c; j++) {
                    acc[j] += row[j];
                }
            }
            d.put(dof + r * c, acc, 0, c);
        }
    }

    private static void sumDouble(INDArray src, INDArray dst, int[] ptr, int[] list, int c, int so, int dof,
                                  int from, int to) {
        DoubleBuffer s = src.data().asNioDouble();
        DoubleBuffer d = dst.data().asNioDouble();
        double[] acc = new double[c];
        double[] row = new double[c];
        for (int r = from; r < to; r++) {
            java.util.Arrays.fill(acc, 0.0);
            for (int q = ptr[r]; q < ptr[r + 1]; q++) {
                s.get(so + list[q] * c, row, 0, c);
                for (int j = 0; j < c; j++) {
                    acc[j] += row[j];
                }
            }
            d.put(dof + r * c, acc, 0, c);
        }
    }

    private static int check(INDArray src, INDArray dst, int dstRows, String what) {
        Shapes.requireContiguous(src, what + " source");
        Shapes.requireContiguous(dst, what + " target");
        if (src.rank() != 2 || dst.rank() != 2 || src.size(1) != dst.size(1) || dst.size(0) != dstRows) {
            throw new IllegalArgumentException(what + ": expected source [n, c] and target [" + dstRows
                    + ", c], found " + java.util.Arrays.toString(src.shape()) + " and "
                    + java.util.Arrays.toString(dst.shape()));
        }
        if (src.dataType() != dst.dataType() || (src.dataType() != DataType.FLOAT && src.dataType() != DataType.DOUBLE)) {
            throw new IllegalArgumentException(what + ": expected FLOAT or DOUBLE arrays of one type, found "
                    + src.dataType() + " and " + dst.dataType());
        }
        return (int) src.size(1);
    }
}
