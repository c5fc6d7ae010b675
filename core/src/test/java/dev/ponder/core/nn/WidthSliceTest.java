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
import org.nd4j.linalg.factory.Nd4j;

/**
 * Width slicing (SHARCS) of the layers: a sliced layer computes exactly what a small layer holding
 * the sliced weights computes, reads the right memory of parameters that sit at an offset of the
 * flat buffer (ND4J's view bug reads wrong memory past half a tensor), and its gradients pass
 * finite differences and land only in the used blocks.
 */
class WidthSliceTest {
    /** W[r0 .. r0 + rows, 0 .. cols) read element by element from the flat buffer. */
    private static double[][] fromFlat(ParamStore store, String name, int r0, int rows, int cols) {
        long off = store.layout().spec(name).offset();
        long in = store.layout().spec(name).shape()[1];
        double[][] w = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                w[i][j] = store.params().getDouble(off + (r0 + i) * in + j);
            }
        }
        return w;
    }

    @Test
    void slicedLinearAtAnOffsetReadsItsLeadingBlockAndWritesOnlyItsGradient() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 7, 13);                       // the weight sits at offset 91
        Linear lin = new Linear(reg, "lin", 16, 12, true, Init.uniform(1));
        ParamStore store = reg.build(DataType.DOUBLE, 3);
        GradCheck.randomizeParams(store, 2, 0.9);
        for (int[] wh : new int[][] {{9, 11}, {3, 4}, {12, 16}}) {       // outW, inW (past half the tensor too)
            int outW = wh[0];
            int inW = wh[1];
            INDArray x = GradCheck.random(5, 4, inW);
            INDArray y = lin.forward(x, inW, outW).out();
            double[][] w = fromFlat(store, "lin.weight", 0, outW, inW);
            for (int r = 0; r < 4; r++) {
                for (int i = 0; i < outW; i++) {
                    double s = store.params().getDouble(store.layout().spec("lin.bias").offset() + i);
                    for (int j = 0; j < inW; j++) {
                        s += x.getDouble(r, j) * w[i][j];
                    }
                    assertEquals(s, y.getDouble(r, i), 1e-12, outW + "x" + inW + " row " + r + " out " + i);
                }
            }
            store.zeroGrads();
            INDArray dy = GradCheck.random(6, 4, outW);
            INDArray dx = lin.backward(lin.forward(x, inW, outW).saved(), dy);
            GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(lin.forward(x, inW, outW).out(), dy), 100, 1);
            GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(lin.forward(x, inW, outW).out(), dy), 300);
            INDArray g = store.grad("lin.weight");
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < 16; j++) {
                    if (i >= outW || j >= inW) {
                        assertEquals(0.0, g.getDouble(i, j), 0.0, "gradient outside the block at " + i + "," + j);
                    }
                }
            }
            assertEquals(0.0, store.grad("before").sumNumber().doubleValue(), 0.0);
        }
    }

    @Test
    void stackedLinearSlicesEachSegment() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 5);
        var w = reg.addStack("qkv.weight", java.util.List.of("q.weight", "k.weight", "v.weight"), Init.uniform(1),
                true, 6, 5);
        var b = reg.addStack("qkv.bias", java.util.List.of("q.bias", "k.bias", "v.bias"), Init.uniform(1), false, 6);
        Linear lin = new Linear("qkv", w, b, 3);
        ParamStore store = reg.build(DataType.DOUBLE, 4);
        INDArray x = GradCheck.random(1, 3, 4);
        INDArray y = lin.forward(x, 4, 6).out();                          // 2 rows of each of q, k and v
        String[] parts = {"q", "k", "v"};
        for (int g = 0; g < 3; g++) {
            double[][] wg = fromFlat(store, parts[g] + ".weight", 0, 2, 4);
            INDArray bg = store.value(parts[g] + ".bias");
            for (int r = 0; r < 3; r++) {
                for (int i = 0; i < 2; i++) {
                    double s = bg.getDouble(i);
                    for (int j = 0; j < 4; j++) {
                        s += x.getDouble(r, j) * wg[i][j];
                    }
                    assertEquals(s, y.getDouble(r, g * 2 + i), 1e-12, parts[g] + " row " + r + " out " + i);
                }
            }
        }
        INDArray dy = GradCheck.random(2, 3, 6);
        INDArray dx = lin.backward(lin.forward(x, 4, 6).saved(), dy);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(lin.forward(x, 4, 6).out(), dy), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(lin.forward(x, 4, 6).out(), dy), 200);
        assertEquals(0.0, store.grad("k.weight").getRow(3).sumNumber().doubleValue(), 0.0);
    }

    @Test
    void slicedAttentionIsTheSmallAttentionOfItsSlices() {
        int b = 2;
        int t = 5;
        int d = 8;
        int heads = 4;
        int dh = 3;
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 11);
        CausalAttention attn = new CausalAttention(reg, "attn", d, heads, dh, new Rope(dh, 2, 10000), false,
                Init.normal(0.6), Init.normal(0.6));
        ParamStore store = reg.build(DataType.DOUBLE, 9);
        int h = 2;
        int dW = 4;
        INDArray x = GradCheck.random(3, b * t, dW);
        INDArray y = attn.forward(x, b, t, h).out();
        double[][] ref = AttentionReference.forward(x.toDoubleMatrix(), b, t, h, dh,
                fromFlat(store, "attn.q.weight", 0, h * dh, dW), fromFlat(store, "attn.k.weight", 0, h * dh, dW),
                fromFlat(store, "attn.v.weight", 0, h * dh, dW), fromFlat(store, "attn.o.weight", 0, dW, h * dh),
                2, 10000);
        for (int i = 0; i < b * t; i++) {
            for (int c = 0; c < dW; c++) {
                assertEquals(ref[i][c], y.getDouble(i, c), 1e-12, "row " + i + " col " + c);
            }
        }
        INDArray dy = GradCheck.random(4, b * t, dW);
        INDArray dx = attn.backward(attn.forward(x, b, t, h).saved(), dy);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(attn.forward(x, b, t, h).out(), dy), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(attn.forward(x, b, t, h).out(), dy), 150);
        // v's rows of heads 2 and 3 and o's columns of them never move
        assertEquals(0.0, store.grad("attn.v.weight").getRow(h * dh).sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, store.grad("attn.o.weight").getColumn(h * dh).sumNumber().doubleValue(), 0.0);
    }

    @Test
    void slicedFfnGradientsMatchFiniteDifferences() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 3);
        Ffn ffn = new Ffn(reg, "ffn", 6, 10, Activation.GELU, true, Init.normal(0.5), Init.normal(0.5));
        ParamStore store = reg.build(DataType.DOUBLE, 5);
        GradCheck.randomizeParams(store, 6, 0.8);
        INDArray x = GradCheck.random(1, 5, 3);
        INDArray r = GradCheck.random(2, 5, 3);
        INDArray dx = ffn.backward(ffn.forward(x, 5).saved(), r);
        GradCheck.check("dx", x, dx, () -> GradCheck.weightedSum(ffn.forward(x, 5).out(), r), 100, 1);
        GradCheck.checkAllParams(store, () -> GradCheck.weightedSum(ffn.forward(x, 5).out(), r), 200);
        INDArray full = ffn.forward(GradCheck.random(3, 5, 6)).out();
        assertEquals(6, full.size(1));
    }

    @Test
    void slicedHeadUsesLeadingColumnsAndReportsRowLosses() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("before", Init.uniform(1), 9);
        LmHead head = new LmHead(reg.add("lm_head.weight", Init.normal(0.7), 7, 6),
                reg.add("lm_head.bias", Init.normal(0.3), false, 7), 14);   // 2 rows per chunk
        ParamStore store = reg.build(DataType.DOUBLE, 2);
        int[] targets = {3, 0, 6, 3, 2};
        INDArray x = GradCheck.random(1, 5, 4);
        double[] rows = new double[5];
        LmHead.Result r = head.lossAndGrad(x, targets, 1.0 / 5, rows);
        // the same as a 4-column head holding W[:, :4]
        INDArray w4 = Nd4j.createFromArray(fromFlat(store, "lm_head.weight", 0, 7, 4));
        INDArray logits = x.mmul(w4.transpose()).addiRowVector(store.value("lm_head.bias"));
        double sum = 0;
        for (int i = 0; i < 5; i++) {
            double lse = Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(logits.getRow(i), true)
                    .sumNumber().doubleValue());
            double li = lse - logits.getDouble(i, targets[i]);
            assertEquals(li, rows[i], 1e-10, "row " + i);
            sum += li;
        }
        assertEquals(sum, r.lossSum(), 1e-10);
        GradCheck.check("dx", x, r.dx(), () -> head.loss(x, targets, null) / 5, 100, 1);
        GradCheck.checkAllParams(store, () -> head.loss(x, targets, null) / 5, 200);
        assertEquals(0.0, store.grad("lm_head.weight").getColumn(4).sumNumber().doubleValue(), 0.0);
        assertTrue(head.logits(x).equalsWithEps(logits, 1e-12));
    }
}
