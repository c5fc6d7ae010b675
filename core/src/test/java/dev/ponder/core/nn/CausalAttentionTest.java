package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class CausalAttentionTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int D = 6;
    private static final int H = 2;
    private static final int DH = 4;

    private record Setup(CausalAttention attn, ParamStore store) {}

    private static Setup setup(boolean bias, int rot, DataType dtype) {
        ParamRegistry reg = new ParamRegistry();
        CausalAttention attn = new CausalAttention(reg, "attn", D, H, DH, new Rope(DH, rot, 10000), bias,
                Init.normal(0.6), Init.normal(0.6));
        ParamStore store = reg.build(dtype, 42);
        return new Setup(attn, store);
    }

    @Test
    void fastPathMatchesLoopReference() {
        for (int rot : new int[] {4, 2, 0}) {
            Setup s = setup(false, rot, DataType.DOUBLE);
            INDArray x = GradCheck.random(9, B * T, D).muli(2);
            INDArray fast = s.attn().forward(x, B, T).out();
            double[][] ref = AttentionReference.forward(x.toDoubleMatrix(), B, T, H, DH,
                    s.store().value("attn.q.weight").toDoubleMatrix(), s.store().value("attn.k.weight").toDoubleMatrix(),
                    s.store().value("attn.v.weight").toDoubleMatrix(), s.store().value("attn.o.weight").toDoubleMatrix(),
                    rot, 10000);
            for (int i = 0; i < B * T; i++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(ref[i][c], fast.getDouble(i, c), 1e-12, "rot " + rot + " row " + i + " col " + c);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Setup s = setup(true, 2, DataType.DOUBLE);
        GradCheck.randomizeParams(s.store(), 8, 0.6);
        INDArray x = GradCheck.random(1, B * T, D);
        INDArray r = GradCheck.random(2, B * T, D);
        INDArray rCopy = r.dup();
        INDArray dx = s.attn().backward(s.attn().forward(x, B, T).saved(), r);
        assertEquals(rCopy, r, "backward must not modify dOut");
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(s.attn().forward(x, B, T).out(), r), 100, 1);
        GradCheck.checkAllParams(s.store(), () -> GradCheck.weightedSum(s.attn().forward(x, B, T).out(), r), 100);
    }

    @Test
    void blockedCoreMatchesSingleBlockAndFiniteDifferences() {
        int bh = 3;
        int t = 7;
        int dh = 4;
        INDArray q = GradCheck.random(1, bh, t, dh);
        INDArray k = GradCheck.random(2, bh, t, dh);
        INDArray v = GradCheck.random(3, bh, t, dh);
        INDArray dO = GradCheck.random(4, bh, t, dh);
        CausalSoftmaxAttention full = new CausalSoftmaxAttention(t);
        var ref = full.forward(q, k, v, 0.7);
        INDArray[] refGrads = {q.like(), k.like(), v.like()};
        full.backward(ref.saved(), dO, refGrads[0], refGrads[1], refGrads[2]);
        for (int blockRows : new int[] {1, 2, 3, 6}) {
            CausalSoftmaxAttention blocked = new CausalSoftmaxAttention(blockRows);
            var f = blocked.forward(q, k, v, 0.7);
            assertTrue(ref.out().equalsWithEps(f.out(), 1e-12), "forward, block rows " + blockRows);
            INDArray[] g = {q.like(), k.like(), v.like()};
            blocked.backward(f.saved(), dO, g[0], g[1], g[2]);
            for (int i = 0; i < 3; i++) {
                assertTrue(refGrads[i].equalsWithEps(g[i], 1e-12), "grad " + i + ", block rows " + blockRows);
            }
        }
        CausalSoftmaxAttention blocked = new CausalSoftmaxAttention(3);
        INDArray[] g = {q.like(), k.like(), v.like()};
        blocked.backward(blocked.forward(q, k, v, 0.7).saved(), dO, g[0], g[1], g[2]);
        INDArray[] inputs = {q, k, v};
        for (int i = 0; i < 3; i++) {
            GradCheck.check("blocked d" + "qkv".charAt(i), inputs[i], g[i],
                    () -> GradCheck.weightedSum(blocked.forward(q, k, v, 0.7).out(), dO), 100, i);
        }
    }

    /** Subsequences at explicit positions (Mixture-of-Depths' selected tokens) match the reference. */
    @Test
    void explicitPositionsMatchTheReferenceAndTheirGradientsCheck() {
        int[] positions = {0, 2, 3, 7, 9, 1, 4, 5, 6, 12};        // B = 2 subsequences of T = 5, increasing
        for (int rot : new int[] {4, 2}) {
            Setup s = setup(false, rot, DataType.DOUBLE);
            INDArray x = GradCheck.random(19, B * T, D).muli(2);
            INDArray fast = s.attn().forward(x, B, T, positions).out();
            double[][] ref = AttentionReference.forward(x.toDoubleMatrix(), B, T, H, DH,
                    s.store().value("attn.q.weight").toDoubleMatrix(), s.store().value("attn.k.weight").toDoubleMatrix(),
                    s.store().value("attn.v.weight").toDoubleMatrix(), s.store().value("attn.o.weight").toDoubleMatrix(),
                    rot, 10000, positions);
            for (int i = 0; i < B * T; i++) {
                for (int c = 0; c < D; c++) {
                    assertEquals(ref[i][c], fast.getDouble(i, c), 1e-12, "rot " + rot + " row " + i + " col " + c);
                }
            }
        }
        int[] identity = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4};
        Setup s = setup(true, 4, DataType.DOUBLE);
        INDArray x = GradCheck.random(3, B * T, D);
        assertTrue(s.attn().forward(x, B, T).out().equalsWithEps(s.attn().forward(x, B, T, identity).out(), 1e-13),
                "positions 0..T-1 are the default path");
        GradCheck.randomizeParams(s.store(), 8, 0.6);
        INDArray r = GradCheck.random(2, B * T, D);
        INDArray dx = s.attn().backward(s.attn().forward(x, B, T, positions).saved(), r);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(s.attn().forward(x, B, T, positions).out(), r), 100, 1);
        s.store().zeroGrads();
        s.attn().backward(s.attn().forward(x, B, T, positions).saved(), r);
        GradCheck.checkAllParams(s.store(), () -> GradCheck.weightedSum(s.attn().forward(x, B, T, positions).out(), r), 60);
    }

    @Test
    void isCausal() {
        Setup s = setup(false, 4, DataType.DOUBLE);
        INDArray x = GradCheck.random(1, B * T, D);
        INDArray before = s.attn().forward(x, B, T).out();
        x.putScalar(new long[] {T - 1, 0}, 100.0);   // last position of sequence 0
        INDArray after = s.attn().forward(x, B, T).out();
        assertEquals(before.get(NDArrayIndex.interval(0, T - 1), NDArrayIndex.all()),
                after.get(NDArrayIndex.interval(0, T - 1), NDArrayIndex.all()));
        assertEquals(before.get(NDArrayIndex.interval(T, 2 * T), NDArrayIndex.all()),
                after.get(NDArrayIndex.interval(T, 2 * T), NDArrayIndex.all()));
    }

    @Test
    void floatPathAgreesWithDouble() {
        Setup d = setup(true, 2, DataType.DOUBLE);
        Setup f = setup(true, 2, DataType.FLOAT);
        INDArray x = GradCheck.random(1, B * T, D);
        INDArray yd = d.attn().forward(x, B, T).out();
        INDArray yf = f.attn().forward(x.castTo(DataType.FLOAT), B, T).out();
        assertTrue(yd.castTo(DataType.FLOAT).equalsWithEps(yf, 1e-5));
    }
}
