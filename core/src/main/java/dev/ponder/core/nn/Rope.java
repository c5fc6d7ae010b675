package dev.ponder.core.nn;

import dev.ponder.core.routing.RowGather;
import dev.ponder.core.tensor.HostParallel;
import dev.ponder.core.tensor.HostRows;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import dev.ponder.core.tensor.StepWorkspace;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embedding, rotate-half convention (GPT-NeoX / MoEUT): on the first
 * {@code rotDims} dims of each head, with h = rotDims/2 and theta_i = base^(-2i/rotDims),
 * out[i] = x[i] cos(t theta_i) - x[i+h] sin(t theta_i), out[i+h] = x[i+h] cos + x[i] sin;
 * dims >= rotDims pass through (MoEUT rotates half of each head, the dense model all of it).
 *
 * <p>As a whole-array formula: out = x * C + swap(x * S), where swap exchanges the two halves and
 * C, S are [T * dh] tables (C = 1, S = 0 on pass-through dims). The backward is the same formula
 * with -S (the rotation is orthogonal). Positions are 0..T-1 within each sequence unless a
 * {@link Rotation} for explicit positions is given (Mixture-of-Depths runs attention over a subset
 * of a sequence's tokens, which keep their original positions). Three ops either way: two
 * row-broadcast multiplies and one small gemm for the swap; explicit positions add one row gather
 * per table and call, the default path is unchanged.
 *
 * <p>Holds only constant tables (cached per length and dtype, outside any workspace); no
 * activations.
 */
public final class Rope {
    private final int headDim;
    private final int rotDims;
    private final double base;
    private final Map<String, INDArray[]> tables = new HashMap<>();
    /** Host float tables per power-of-two length (cos, sin), for {@link #rotateHeadsInPlace}. */
    private final Map<Integer, float[][]> hostTables = new HashMap<>();

    public Rope(int headDim, int rotDims, double base) {
        if (rotDims < 0 || rotDims > headDim || rotDims % 2 != 0) {
            throw new IllegalArgumentException("rope: expected an even number of rotated dims in [0, " + headDim
                    + "], found " + rotDims);
        }
        this.headDim = headDim;
        this.rotDims = rotDims;
        this.base = base;
    }

    /** The rotated dims of a head: floor(fraction * headDim) rounded down to even (MoEUT's rule). */
    public static int rotatedDims(int headDim, double fraction) {
        int n = (int) (fraction * headDim);
        return n - n % 2;
    }

    public int rotDims() {
        return rotDims;
    }

    /** Rotates x [M, T, dh] (c-order, contiguous; position = index along dim 1) in place. */
    public void forwardInPlace(INDArray x) {
        apply(x, false);
    }

    /** Applies the transposed rotation to a gradient dx [M, T, dh] in place. */
    public void backwardInPlace(INDArray dx) {
        apply(dx, true);
    }

    /**
     * Rotates rows x [N, heads * dh] (c-order, contiguous) in place, row i at position
     * {@code positions[i]} (all heads of a row share it): for gathered tokens, whose row index is not
     * their position (SUT's active rows).
     */
    public void forwardRowsInPlace(INDArray x, int[] positions, int heads) {
        applyRows(x, positions, heads, false);
    }

    /** The transposed rotation of {@link #forwardRowsInPlace} on a gradient, in place. */
    public void backwardRowsInPlace(INDArray dx, int[] positions, int heads) {
        applyRows(dx, positions, heads, true);
    }

    private void applyRows(INDArray x, int[] positions, int heads, boolean transpose) {
        if (rotDims == 0 || positions.length == 0) {
            return;
        }
        Shapes.requireContiguous(x, "rope rows");
        long n = x.size(0);
        if (x.rank() != 2 || x.size(1) != (long) heads * headDim || positions.length != n) {
            throw new IllegalArgumentException("rope rows: expected [" + positions.length + ", " + heads + " * "
                    + headDim + "], found " + java.util.Arrays.toString(x.shape()));
        }
        int maxPos = maxPosition(positions, "rope rows: expected positions >= 0, found ");
        // tables for a power-of-two length, so that few lengths are ever cached
        int len = Math.max(16, Integer.highestOneBit(maxPos) << 1);
        INDArray[] tab = tables(len, x.dataType());
        int[] perHead = new int[(int) n * heads];                       // row i*heads + h reads position i
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(perHead, i * heads, (i + 1) * heads, positions[i]);
        }
        INDArray c = Nd4j.createUninitialized(x.dataType(), perHead.length, headDim);
        INDArray s = Nd4j.createUninitialized(x.dataType(), perHead.length, headDim);
        RowGather.gather(tab[0].reshape(len, headDim), perHead, c);          // [N*heads, dh] cos rows
        RowGather.gather(tab[transpose ? 2 : 1].reshape(len, headDim), perHead, s); // [N*heads, dh] sin rows
        INDArray rows = x.reshape(n * heads, headDim);                    // [N*heads, dh] view
        INDArray tmp = rows.mul(s);
        rows.muli(c);
        Ops.gemm(tmp, swap(x.dataType()), rows, false, false, 1.0, 1.0);  // [N*h, dh] x [dh, dh] -> [N*h, dh]
    }

    /**
     * The C and S tables of tokens at explicit positions, laid out like the q and k they rotate:
     * each [B*H*len*dh], row (b*H + h)*len + i holding position {@code positions[b*len + i]}.
     */
    public record Rotation(INDArray cos, INDArray sin) {}

    /**
     * Tables for {@code batch} sequences of {@code len} tokens at {@code positions} [B*len] (each >= 0),
     * repeated over {@code heads}; null when nothing is rotated (rot dims 0).
     */
    public Rotation rotation(int[] positions, int batch, int heads, int len, DataType dtype) {
        if (positions.length != (long) batch * len) {
            throw new IllegalArgumentException("rope positions: expected " + ((long) batch * len) + " (B*T), found "
                    + positions.length);
        }
        if (rotDims == 0) {
            return null;
        }
        int max = maxPosition(positions, "rope positions: expected >= 0, found ");
        int span = Integer.highestOneBit(Math.max(1, max)) << 1;          // a power of two > max: few cached sizes
        INDArray[] tab = tables(span, dtype);
        int[] rows = new int[batch * heads * len];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(positions, b * len, rows, (b * heads + h) * len, len);
            }
        }
        INDArray cos = Nd4j.createUninitialized(dtype, rows.length, headDim);
        INDArray sin = Nd4j.createUninitialized(dtype, rows.length, headDim);
        RowGather.gather(tab[0].reshape(span, headDim), rows, cos);      // [span, dh] rows -> [B*H*len, dh]
        RowGather.gather(tab[1].reshape(span, headDim), rows, sin);
        return new Rotation(cos.reshape(cos.length()), sin.reshape(sin.length()));
    }

    /** Rotates x [G*B*H, len, dh] (c-order, contiguous) at the rotation's positions, in place. */
    public void forwardInPlace(INDArray x, Rotation r) {
        apply(x, r, 1.0);
    }

    /** The transposed rotation of {@link #forwardInPlace(INDArray, Rotation)} on a gradient, in place. */
    public void backwardInPlace(INDArray dx, Rotation r) {
        apply(dx, r, -1.0);
    }

    private void apply(INDArray x, Rotation r, double sinSign) {
        if (r == null) {
            return;
        }
        Shapes.requireContiguous(x, "rope input");
        long per = r.cos().length();
        if (x.rank() != 3 || x.size(2) != headDim || x.length() % per != 0) {
            throw new IllegalArgumentException("rope input: expected [G*" + (per / headDim) + " rows, " + headDim
                    + "] as [M, T, dh], found " + java.util.Arrays.toString(x.shape()));
        }
        long rows = x.length() / headDim;
        INDArray flat = x.reshape(x.length() / per, per);                  // [G, B*H*len*dh] view
        INDArray tmp = flat.mulRowVector(r.sin());                         // x * S
        flat.muliRowVector(r.cos());                                       // x * C
        // x += +-swap(x * S): the transpose only flips the sine's sign
        Ops.gemm(tmp.reshape(rows, headDim), swap(x.dataType()), x.reshape(rows, headDim),
                false, false, sinSign, 1.0);                               // [rows, dh] x [dh, dh] -> [rows, dh]
    }

    private void apply(INDArray x, boolean transpose) {
        if (rotDims == 0) {
            return;
        }
        Shapes.requireContiguous(x, "rope input");
        if (x.rank() != 3 || x.size(2) != headDim) {
            throw new IllegalArgumentException("rope input: expected [M, T, " + headDim + "], found "
                    + java.util.Arrays.toString(x.shape()));
        }
        long m = x.size(0);
        int t = (int) x.size(1);
        INDArray[] tab = tables(t, x.dataType());
        INDArray flat = x.reshape(m, (long) t * headDim);                 // [M, T*dh] view
        INDArray tmp = flat.mulRowVector(transpose ? tab[2] : tab[1]);     // x * S
        flat.muliRowVector(tab[0]);                                       // x * C
        // x += swap(x * S). The swap is a gemm with the (symmetric) half-swap permutation matrix:
        // ND4J's ops on the strided half views took ~1.3 ms per 1M floats each, the gemm (64 MACs
        // per element, not model FLOPs) well under that.
        Ops.gemm(tmp.reshape(m * t, headDim), swap(x.dataType()), x.reshape(m * t, headDim),
                false, false, 1.0, 1.0);                                  // [M*T, dh] x [dh, dh] -> [M*T, dh]
    }

    /** The [dh, dh] matrix exchanging dims i and i + rotDims/2 for i < rotDims/2 (zero elsewhere). */
    private INDArray swap(DataType dtype) {
        return tables.computeIfAbsent("swap:" + dtype, k -> {
            int h = rotDims / 2;
            double[][] p = new double[headDim][headDim];
            for (int i = 0; i < h; i++) {
                p[i][i + h] = 1.0;
                p[i + h][i] = 1.0;
            }
            try (MemoryWorkspace ignored = StepWorkspace.outside()) {
                return new INDArray[] {Nd4j.createFromArray(p).castTo(dtype)};
            }
        })[0];
    }

    /**
     * Rotates, in place, the heads of the rows of a row-major FLOAT host array: for h < heads the
     * columns [col + h dh, col + (h + 1) dh) of row r, at position {@code positions[r]} (null:
     * r mod t); {@code transpose} applies the inverse rotation (gradients). The host path of the
     * fused attention, which rotates q and k where the projection wrote them (no head-split copy).
     */
    public void rotateHeadsInPlace(HostRows x, int col, int heads, int t, int[] positions,
                                   boolean transpose) {
        if (rotDims == 0 || x.rows() == 0) {
            return;
        }
        int maxPos = t - 1;
        if (positions != null) {
            if (positions.length != x.rows()) {
                throw new IllegalArgumentException("rope rows: expected " + x.rows() + " positions, found "
                        + positions.length);
            }
            maxPos = Math.max(maxPos, maxPosition(positions, "rope rows: expected positions >= 0, found "));
        }
        int len = Integer.highestOneBit(Math.max(1, maxPos)) << 1;      // a power of two > maxPos: few cached sizes
        float[][] tab = hostTables.computeIfAbsent(len, this::buildHostTables);
        float[] cos = tab[0];
        float[] sin = tab[1];
        int h = rotDims / 2;
        float sign = transpose ? -1f : 1f;
        HostParallel.forRange(x.rows(), (long) x.rows() * heads * rotDims * 3, (from, to) -> {
            FloatBuffer b = x.buf();
            for (int r = from; r < to; r++) {
                int pos = positions == null ? r % t : positions[r];
                int tr = pos * h;
                for (int hh = 0; hh < heads; hh++) {
                    int o = r * x.ld() + col + hh * headDim;
                    for (int i = 0; i < h; i++) {
                        float c = cos[tr + i];
                        float sn = sign * sin[tr + i];
                        float a = b.get(o + i);
                        float d = b.get(o + i + h);
                        b.put(o + i, a * c - d * sn);
                        b.put(o + i + h, d * c + a * sn);
                    }
                }
            }
        });
    }

    /** cos and sin of pos * theta_i for pos < len, i < rotDims / 2, as [len * rotDims / 2] floats. */
    private float[][] buildHostTables(int len) {
        int h = rotDims / 2;
        float[] c = new float[len * h];
        float[] sn = new float[len * h];
        for (int pos = 0; pos < len; pos++) {
            for (int i = 0; i < h; i++) {
                double angle = pos * Math.pow(base, -2.0 * i / rotDims);   // the same angles as buildTables
                c[pos * h + i] = (float) Math.cos(angle);
                sn[pos * h + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {c, sn};
    }

    /** The largest of {@code positions} (0 when empty); a negative one fails with {@code negative} + it. */
    private static int maxPosition(int[] positions, String negative) {
        int max = 0;
        for (int p : positions) {
            if (p < 0) {
                throw new IllegalArgumentException(negative + p);
            }
            max = Math.max(max, p);
        }
        return max;
    }

    /** {C, S_forward, S_backward}, each [T * dh]. */
    private INDArray[] tables(int t, DataType dtype) {
        return tables.computeIfAbsent(t + ":" + dtype, k -> buildTables(t, dtype));
    }

    private INDArray[] buildTables(int t, DataType dtype) {
        int h = rotDims / 2;
        double[] c = new double[t * headDim];
        double[] sf = new double[t * headDim];
        for (int pos = 0; pos < t; pos++) {
            int row = pos * headDim;
            for (int i = 0; i < headDim; i++) {
                c[row + i] = 1.0;
            }
            for (int i = 0; i < h; i++) {
                double angle = pos * Math.pow(base, -2.0 * i / rotDims);
                c[row + i] = Math.cos(angle);
                c[row + i + h] = Math.cos(angle);
                // out[i+h] += (x*S)[i] must be +x[i] sin; out[i] += (x*S)[i+h] must be -x[i+h] sin.
                sf[row + i] = Math.sin(angle);
                sf[row + i + h] = -Math.sin(angle);
            }
        }
        double[] sb = new double[sf.length];
        for (int i = 0; i < sf.length; i++) {
            sb[i] = -sf[i];
        }
        try (MemoryWorkspace ignored = StepWorkspace.outside()) {
            return new INDArray[] {
                    Nd4j.createFromArray(c).castTo(dtype),
                    Nd4j.createFromArray(sf).castTo(dtype),
                    Nd4j.createFromArray(sb).castTo(dtype)};
        }
    }
}
