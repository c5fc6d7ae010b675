package dev.ponder.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.Views;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The direct CBLAS path against a literal triple loop, on every kind of view the models pass it. */
class HostGemmTest {
    enum Dt { FLOAT, DOUBLE }

    /** c = alpha op(a) op(b) + beta c, element by element in double. */
    private static double[][] reference(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha, double beta) {
        int m = (int) (ta ? a.size(1) : a.size(0));
        int k = (int) (ta ? a.size(0) : a.size(1));
        int n = (int) (tb ? b.size(0) : b.size(1));
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (ta ? a.getDouble(p, i) : a.getDouble(i, p)) * (tb ? b.getDouble(j, p) : b.getDouble(p, j));
                }
                out[i][j] = alpha * s + beta * c.getDouble(i, j);
            }
        }
        return out;
    }

    private static void assertMatches(double[][] want, INDArray got, double tol, String what) {
        for (int i = 0; i < want.length; i++) {
            for (int j = 0; j < want[i].length; j++) {
                assertEquals(want[i][j], got.getDouble(i, j), tol * (1 + Math.abs(want[i][j])), what + " at " + i + "," + j);
            }
        }
    }

    private static INDArray random(DataType dt, Random rnd, long... shape) {
        INDArray a = Nd4j.create(dt, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, rnd.nextGaussian());
        }
        return a;
    }

    @ParameterizedTest
    @EnumSource(Dt.class)
    void everyTransposeAndScaleOnWholeArrays(Dt d) {
        DataType dt = DataType.valueOf(d.name());
        double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
        Random rnd = new Random(1);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                INDArray a = ta ? random(dt, rnd, 7, 5) : random(dt, rnd, 5, 7);
                INDArray b = tb ? random(dt, rnd, 3, 7) : random(dt, rnd, 7, 3);
                INDArray c = random(dt, rnd, 5, 3);
                double[][] want = reference(a, b, c, ta, tb, 0.5, 1.5);
                Ops.gemm(a, b, c, ta, tb, 0.5, 1.5);
                assertMatches(want, c, tol, "ta " + ta + " tb " + tb);
            }
        }
    }

    /** Row blocks, parameter views past half of a flat buffer, width blocks (ld > cols), transposed views. */
    @ParameterizedTest
    @EnumSource(Dt.class)
    void viewsAddressTheirOwnElements(Dt d) {
        DataType dt = DataType.valueOf(d.name());
        double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
        Random rnd = new Random(2);
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 4, 24);
        reg.add("w", Init.uniform(1), 8, 6, 4);                       // offset 96
        ParamStore store = reg.build(dt, 3);
        INDArray w = store.value("w");
        INDArray big = random(dt, rnd, 20, 6);

        INDArray rowsByGet = big.get(NDArrayIndex.interval(5, 10), NDArrayIndex.all());     // [5, 6]
        INDArray expert6 = Views.matrix(w, 6);                                               // [6, 4] past the half
        INDArray c = Nd4j.create(dt, 5, 4);
        double[][] want = reference(rowsByGet, expert6, c, false, false, 1, 0);
        Ops.gemm(rowsByGet, expert6, c, false, false, 1, 0);
        assertMatches(want, c, tol, "get rows x expert 6");

        INDArray block = Views.block(big, 3, 4, 5);                                          // [4, 5], ld 6
        INDArray right = random(dt, rnd, 5, 2);
        INDArray c2 = Nd4j.create(dt, 4, 2);
        want = reference(block, right, c2, false, false, 1, 0);
        Ops.gemm(block, right, c2, false, false, 1, 0);
        assertMatches(want, c2, tol, "width block");

        INDArray colMajor = random(dt, rnd, 6, 5).transpose();                               // [5, 6], strides [1, 5]
        INDArray c3 = Nd4j.create(dt, 5, 6);
        INDArray rhs = Views.rows(big, 12, 6).transpose();                                   // [6, 6] transposed view
        want = reference(colMajor, rhs, c3, false, false, 1, 0);
        Ops.gemm(colMajor, rhs, c3, false, false, 1, 0);
        assertMatches(want, c3, tol, "column-major operands");

        INDArray outView = Views.rows(big, 14, 5);                                           // write into rows 14..18 only
        INDArray before = big.dup();
        INDArray sq = random(dt, rnd, 6, 6);
        want = reference(rowsByGet, sq, outView, false, true, 1, 1);
        Ops.gemm(rowsByGet, sq, outView, false, true, 1, 1);
        assertMatches(want, outView, tol, "into a row view");
        for (int r = 0; r < 20; r++) {
            if (r < 14 || r > 18) {
                assertEquals(before.getRow(r), big.getRow(r), "row " + r + " outside the output view");
            }
        }
    }

    /** A gemm split in parts by rows (tall c) or by columns (short c) equals one call, transposes included. */
    @Test
    void splitGemmEqualsOneCall() {
        Random rnd = new Random(11);
        int[][] shapes = {{130, 17, 40}, {9, 33, 70}};                  // {m, k, n}: row split, column split
        for (int[] sh : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    INDArray a = ta ? random(DataType.FLOAT, rnd, sh[1], sh[0]) : random(DataType.FLOAT, rnd, sh[0], sh[1]);
                    INDArray b = tb ? random(DataType.FLOAT, rnd, sh[2], sh[1]) : random(DataType.FLOAT, rnd, sh[1], sh[2]);
                    INDArray c0 = random(DataType.FLOAT, rnd, sh[0], sh[2]);
                    double[][] want = reference(a, b, c0, ta, tb, 0.5, 1.0);
                    for (int parts : new int[] {1, 2, 3}) {
                        INDArray c = c0.dup();
                        HostGemm.gemmSplit(HostGemm.rowMajor(a), ta, HostGemm.rowMajor(b), tb, HostGemm.rowMajor(c),
                                0.5, 1.0, parts);
                        assertMatches(want, c, 1e-5, "m " + sh[0] + " ta " + ta + " tb " + tb + " parts " + parts);
                    }
                }
            }
        }
    }

    /**
     * Runs of gemms (HostGemm.sequence / inTwoLanes) split over threads give the bits of the calls
     * made one by one: segment gemms into column blocks of one c, then accumulations into it, split
     * together by rows in 1-3 parts; and two lanes (dx-like and dW-like runs) side by side.
     */
    @Test
    void runsOfGemmsEqualTheirCallsOneByOne() {
        Random rnd = new Random(12);
        INDArray x = random(DataType.FLOAT, rnd, 200, 24);
        INDArray w = random(DataType.FLOAT, rnd, 30, 24);                 // three [10, 24] segments
        INDArray dy = random(DataType.FLOAT, rnd, 200, 30);
        HostGemm.Mat xm = HostGemm.rowMajor(x);
        HostGemm.Mat wm = HostGemm.rowMajor(w);
        HostGemm.Mat dym = HostGemm.rowMajor(dy);
        INDArray want = Nd4j.zeros(DataType.FLOAT, 200, 24);
        INDArray wantGrad = random(DataType.FLOAT, rnd, 30, 24);
        INDArray grad0 = wantGrad.dup();
        java.util.function.BiFunction<INDArray, INDArray, java.util.List<java.util.List<HostGemm.Call>>> runs = (c, g) -> {
            java.util.List<HostGemm.Call> dx = new java.util.ArrayList<>();
            java.util.List<HostGemm.Call> dw = new java.util.ArrayList<>();
            for (int s = 0; s < 3; s++) {
                dx.add(new HostGemm.Call(dym.cols(10 * s, 10), false, wm.rows(10 * s, 10), false, HostGemm.rowMajor(c),
                        0.5, s == 0 ? 0.0 : 1.0));
                dw.add(new HostGemm.Call(dym.cols(10 * s, 10), true, xm, false, HostGemm.rowMajor(g).rows(10 * s, 10),
                        1.0, 1.0));
            }
            return java.util.List.of(dx, dw);
        };
        var ref = runs.apply(want, wantGrad);
        ref.get(0).forEach(HostGemm.Call::run);
        ref.get(1).forEach(HostGemm.Call::run);
        double[][] exact = reference(dy, w, Nd4j.zeros(DataType.FLOAT, 200, 24), false, false, 0.5, 0.0);
        assertMatches(exact, want, 1e-5, "three segment products summed");
        for (int parts = 1; parts <= 3; parts++) {
            INDArray c = Nd4j.zeros(DataType.FLOAT, 200, 24);
            INDArray g = grad0.dup();
            var r = runs.apply(c, g);
            HostGemm.split(r.get(0), parts);
            HostGemm.split(r.get(1), parts);
            assertEquals(want, c, "dx run in " + parts + " parts");
            assertEquals(wantGrad, g, "dW run in " + parts + " parts");
        }
        INDArray c = Nd4j.zeros(DataType.FLOAT, 200, 24);
        INDArray g = grad0.dup();
        var r = runs.apply(c, g);
        HostGemm.inTwoLanes(r.get(0), r.get(1));
        assertEquals(want, c, "dx lane");
        assertEquals(wantGrad, g, "dW lane");
        // large enough for two threads to run the lanes side by side
        INDArray a2 = random(DataType.FLOAT, rnd, 512, 128);
        INDArray b2 = random(DataType.FLOAT, rnd, 128, 128);
        INDArray c1 = Nd4j.zeros(DataType.FLOAT, 512, 128);
        INDArray c2 = Nd4j.zeros(DataType.FLOAT, 128, 128);
        INDArray w1 = c1.dup();
        INDArray w2 = c2.dup();
        HostGemm.gemm(HostGemm.rowMajor(a2), false, HostGemm.rowMajor(b2), false, HostGemm.rowMajor(w1), 1, 0);
        HostGemm.gemm(HostGemm.rowMajor(a2), true, HostGemm.rowMajor(a2), false, HostGemm.rowMajor(w2), 1, 0);
        HostGemm.inTwoLanes(
                java.util.List.of(new HostGemm.Call(HostGemm.rowMajor(a2), false, HostGemm.rowMajor(b2), false,
                        HostGemm.rowMajor(c1), 1, 0)),
                java.util.List.of(new HostGemm.Call(HostGemm.rowMajor(a2), true, HostGemm.rowMajor(a2), false,
                        HostGemm.rowMajor(c2), 1, 0)));
        assertEquals(w1, c1, "first lane");
        assertEquals(w2, c2, "second lane");
    }

    @Test
    void layoutsItCannotServeFallBack() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 6);
        INDArray strided = Nd4j.create(x.data(), new long[] {4, 3}, new long[] {6, 2}, 0, 'c'); // column stride 2
        assertNull(HostGemm.rowMajor(strided));
        assertNull(HostGemm.rowMajor(strided.transpose()));
        INDArray c = Nd4j.create(DataType.FLOAT, 4, 4);
        assertFalse(HostGemm.tryGemm(strided, Nd4j.rand(DataType.FLOAT, 3, 4), c, false, false, 1, 0));
        INDArray want = strided.dup().mmul(Nd4j.eye(3).castTo(DataType.FLOAT));
        INDArray got = Ops.mm(strided, Nd4j.eye(3).castTo(DataType.FLOAT), false, false);   // Mmul path
        assertTrue(want.equalsWithEps(got, 1e-6));
        assertFalse(HostGemm.tryGemm(Nd4j.rand(DataType.HALF, 2, 2), Nd4j.rand(DataType.HALF, 2, 2),
                Nd4j.create(DataType.HALF, 2, 2), false, false, 1, 0), "half precision is not served");
        assertNotNull(HostGemm.matrixOf(Nd4j.rand(DataType.FLOAT, 3, 2, 2), 2));
        assertThrows(IllegalArgumentException.class, () -> HostGemm.gemm(HostGemm.rowMajor(x), false,
                HostGemm.rowMajor(x), false, HostGemm.rowMajor(c), 1, 0), "shape mismatch is named");
    }

    /**
     * Rank-3 (batched) gemms go through the per-matrix CBLAS loop, split over threads at this size:
     * equal to each matrix's own product, on views of a block of rows of every matrix (attention's
     * causal query blocks) and with beta accumulating.
     */
    @ParameterizedTest
    @EnumSource(Dt.class)
    void batchedMatricesEqualTheirOwnProducts(Dt d) {
        DataType dt = DataType.valueOf(d.name());
        double tol = dt == DataType.FLOAT ? 1e-4 : 1e-10;
        Random rnd = new Random(3);
        int bh = 6;
        INDArray q = random(dt, rnd, bh, 96, 40);
        INDArray k = random(dt, rnd, bh, 96, 40);
        INDArray qRows = q.get(NDArrayIndex.all(), NDArrayIndex.interval(32, 96), NDArrayIndex.all());   // [bh, 64, 40] view
        INDArray s = random(dt, rnd, bh, 64, 96);
        INDArray before = s.dup();
        assertTrue(HostGemm.tryBatched(qRows, k, s, false, true, 0.5, 1.0));
        for (int h = 0; h < bh; h++) {
            INDArray qh = qRows.get(NDArrayIndex.point(h)).dup();
            INDArray kh = k.get(NDArrayIndex.point(h)).dup();
            double[][] want = reference(qh, kh, before.get(NDArrayIndex.point(h)).dup(), false, true, 0.5, 1.0);
            assertMatches(want, s.get(NDArrayIndex.point(h)), tol, "matrix " + h);
        }
    }
}
