package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused host attention core against the ND4J reference path, in float. */
class CausalAttentionKernelTest {
    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        double scale = expected.amaxNumber().doubleValue();
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tol * (1 + scale), what + ": max |diff| " + diff + " (max |expected| " + scale + ")");
    }

    @Test
    void fusedCoreEqualsTheReference() {
        // shapes: below and above the gemm-parallel threshold, T not a multiple of the block or of the lanes
        int[][] shapes = {{3, 7, 4}, {8, 37, 16}, {6, 256, 64}};
        for (int[] sh : shapes) {
            int bh = sh[0];
            int t = sh[1];
            int dh = sh[2];
            INDArray q = GradCheck.random(1, bh, t, dh).muli(2).castTo(DataType.FLOAT);
            INDArray k = GradCheck.random(2, bh, t, dh).castTo(DataType.FLOAT);
            INDArray v = GradCheck.random(3, bh, t, dh).castTo(DataType.FLOAT);
            INDArray dO = GradCheck.random(4, bh, t, dh).castTo(DataType.FLOAT);
            for (int blockRows : new int[] {1, 5, 64, 128, t}) {
                CausalSoftmaxAttention core = new CausalSoftmaxAttention(blockRows);
                String at = "[" + bh + ", " + t + ", " + dh + "] block rows " + blockRows;
                var ref = core.forward(q, k, v, 0.3, false);
                var fused = core.forward(q, k, v, 0.3, true);
                assertClose(ref.out(), fused.out(), 2e-6, "output " + at);
                for (int r = 0; r < ref.saved().p().length; r++) {
                    assertClose(ref.saved().p()[r], fused.saved().p()[r], 2e-6, "probabilities block " + r + " " + at);
                }
                INDArray[] gr = {q.like(), k.like(), v.like()};
                INDArray[] gf = {q.like(), k.like(), v.like()};
                core.backward(ref.saved(), dO, gr[0], gr[1], gr[2], false);
                core.backward(fused.saved(), dO, gf[0], gf[1], gf[2], true);
                for (int i = 0; i < 3; i++) {
                    assertClose(gr[i], gf[i], 1e-5, "d" + "qkv".charAt(i) + " " + at);
                }
            }
        }
    }

    /**
     * CausalAttention's host path (RoPE and the core on the projection layout, no head copies)
     * against its ND4J path in float (head-split copies, ND4J RoPE tables, the core on stacks): outputs, input gradients and every parameter gradient, at
     * full width, at a width slice, and at explicit positions (Mixture-of-Depths).
     */
    @Test
    void hostAttentionPathEqualsTheNd4jPath() {
        int b = 3;
        int t = 37;
        int d = 24;
        int h = 3;
        int dh = 8;
        ParamRegistry reg = new ParamRegistry();
        CausalAttention attn = new CausalAttention(reg, "attn", d, h, dh, new Rope(dh, 4, 10000), true,
                Init.normal(0.4), Init.normal(0.4));
        ParamStore store = reg.build(DataType.FLOAT, 5);
        int[] positions = new int[b * t];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = 3 * (i % t) + i / t;                            // increasing within each sequence
        }
        int[][] cases = {{h, d, 0}, {2, 16, 0}, {h, d, 1}};                // {heads, dW, explicit positions}
        for (int[] c : cases) {
            INDArray x = GradCheck.random(7, b * t, c[1]).castTo(DataType.FLOAT);
            INDArray dy = GradCheck.random(8, b * t, c[1]).castTo(DataType.FLOAT);
            int[] pos = c[2] == 1 ? positions : null;
            INDArray[] out = new INDArray[2];
            INDArray[] dx = new INDArray[2];
            INDArray[] grads = new INDArray[2];
            for (int path = 0; path < 2; path++) {
                attn.allowHostPath(path == 0);
                store.zeroGrads();
                var f = attn.forward(x.dup(), b, t, c[0], pos);
                assertEquals(path == 0, f.saved().host() != null, "path taken");
                out[path] = f.out().dup();
                dx[path] = attn.backward(f.saved(), dy.dup()).dup();
                grads[path] = store.grads().dup();
            }
            String at = "heads " + c[0] + " width " + c[1] + (pos != null ? " explicit positions" : "");
            assertClose(out[1], out[0], 1e-5, "output " + at);
            assertClose(dx[1], dx[0], 1e-5, "input gradient " + at);
            assertClose(grads[1], grads[0], 1e-5, "parameter gradients " + at);
        }
        attn.allowHostPath(true);
    }

    @Test
    void servesOnlyContiguousFloatStacks() {
        INDArray f = Nd4j.rand(DataType.FLOAT, 2, 5, 4);
        assertTrue(CausalAttentionKernel.serves(f));
        assertFalse(CausalAttentionKernel.serves(f.castTo(DataType.DOUBLE)), "double runs the reference");
        assertFalse(CausalAttentionKernel.serves(f.permute(1, 0, 2)), "a permuted view is not contiguous");
        INDArray stack = Nd4j.rand(DataType.FLOAT, 3, 2, 5, 4);
        assertTrue(CausalAttentionKernel.serves(stack.slice(1)), "one slice of a stack (q of [3, BH, T, dh])");
        assertEquals(3, stack.size(0));
    }
}
