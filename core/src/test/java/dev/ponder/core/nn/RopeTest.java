package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class RopeTest {
    @Test
    void rotatedDimsFollowMoeutRule() {
        assertEquals(40, Rope.rotatedDims(82, 0.5));  // 41 rounded down to even
        assertEquals(40, Rope.rotatedDims(41, 1.0));
        assertEquals(64, Rope.rotatedDims(64, 1.0));
        assertEquals(0, Rope.rotatedDims(64, 0.0));
    }

    @Test
    void matchesLoopReferenceForFullAndPartialRotation() {
        for (int rot : new int[] {6, 4, 2}) {
            int m = 3;
            int t = 5;
            int dh = 6;
            INDArray x = GradCheck.random(rot, m, t, dh);
            INDArray y = x.dup();
            new Rope(dh, rot, 10000).forwardInPlace(y);
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < t; p++) {
                    double[] v = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(p)).toDoubleVector();
                    AttentionReference.rope(v, 0, p, rot, 10000);
                    for (int c = 0; c < dh; c++) {
                        assertEquals(v[c], y.getDouble(i, p, c), 1e-12, "rot " + rot + " at " + i + "," + p + "," + c);
                    }
                }
            }
        }
    }

    @Test
    void backwardIsTheTransposeOfForward() {
        Rope rope = new Rope(8, 4, 500);
        INDArray x = GradCheck.random(1, 2, 4, 8);
        INDArray r = GradCheck.random(2, 2, 4, 8);
        INDArray dx = r.dup();
        rope.backwardInPlace(dx);
        GradCheck.check("dx", x, dx, () -> {
            INDArray y = x.dup();
            rope.forwardInPlace(y);
            return GradCheck.weightedSum(y, r);
        }, 100, 1);
    }

    /** Explicit positions: row (b*H + h)*len + i of [G*B*H, len, dh] is rotated to positions[b*len + i]. */
    @Test
    void explicitPositionsMatchTheReferenceAndTransposeInBackward() {
        int g = 2;
        int b = 2;
        int h = 3;
        int len = 3;
        int dh = 6;
        int[] positions = {1, 4, 10, 0, 2, 33};
        for (int rot : new int[] {6, 4}) {
            Rope rope = new Rope(dh, rot, 10000);
            INDArray x = GradCheck.random(rot, g * b * h, len, dh);
            INDArray y = x.dup();
            Rope.Rotation r = rope.rotation(positions, b, h, len, x.dataType());
            rope.forwardInPlace(y, r);
            for (int m = 0; m < g * b * h; m++) {
                int seq = (m / h) % b;
                for (int i = 0; i < len; i++) {
                    double[] v = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(m),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(i)).toDoubleVector();
                    AttentionReference.rope(v, 0, positions[seq * len + i], rot, 10000);
                    for (int c = 0; c < dh; c++) {
                        assertEquals(v[c], y.getDouble(m, i, c), 1e-12, "rot " + rot + " at " + m + "," + i + "," + c);
                    }
                }
            }
            INDArray w = GradCheck.random(7, g * b * h, len, dh);
            INDArray dx = w.dup();
            rope.backwardInPlace(dx, r);
            GradCheck.check("dx", x, dx, () -> {
                INDArray z = x.dup();
                rope.forwardInPlace(z, r);
                return GradCheck.weightedSum(z, w);
            }, 200, 1);
        }
        Rope rope = new Rope(4, 4, 10000);
        INDArray x = GradCheck.random(5, 2, 4, 4);
        INDArray a = x.dup();
        INDArray c = x.dup();
        rope.forwardInPlace(a);
        rope.forwardInPlace(c, rope.rotation(new int[] {0, 1, 2, 3}, 1, 2, 4, x.dataType()));
        assertTrue(a.equalsWithEps(c, 1e-13), "positions 0..T-1 rotate as the default path");
    }

    @Test
    void worksOnAViewOfALargerBuffer() {
        Rope rope = new Rope(4, 4, 10000);
        INDArray buf = GradCheck.random(3, 3, 2, 5, 4);       // like [3, B*H, T, dh]
        INDArray expected = buf.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).dup().reshape(4, 5, 4);
        rope.forwardInPlace(expected);
        INDArray view = buf.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).reshape(4, 5, 4);
        rope.forwardInPlace(view);
        assertEquals(expected, buf.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).reshape(4, 5, 4));
    }

    /** Rows at explicit positions (gathered tokens) rotate exactly as those positions of a full sequence. */
    @Test
    void rowsAtExplicitPositionsMatchTheSequenceLayoutAndTranspose() {
        int heads = 2;
        int dh = 8;
        int t = 40;                                            // past the smallest cached table (16)
        Rope rope = new Rope(dh, 6, 10000);
        INDArray seq = GradCheck.random(4, heads, t, dh);      // [H, T, dh]
        INDArray rotated = seq.dup();
        rope.forwardInPlace(rotated);
        int[] positions = {39, 0, 17, 17, 3};
        INDArray rows = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.DOUBLE,
                positions.length, heads * dh);
        for (int i = 0; i < positions.length; i++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < dh; c++) {
                    rows.putScalar(new long[] {i, h * dh + c}, seq.getDouble(h, positions[i], c));
                }
            }
        }
        INDArray x = rows.dup();
        rope.forwardRowsInPlace(rows, positions, heads);
        for (int i = 0; i < positions.length; i++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < dh; c++) {
                    assertEquals(rotated.getDouble(h, positions[i], c), rows.getDouble(i, h * dh + c), 1e-12);
                }
            }
        }
        INDArray r = GradCheck.random(5, positions.length, heads * dh);
        INDArray dx = r.dup();
        rope.backwardRowsInPlace(dx, positions, heads);
        GradCheck.check("dx", x, dx, () -> {
            INDArray y = x.dup();
            rope.forwardRowsInPlace(y, positions, heads);
            return GradCheck.weightedSum(y, r);
        }, 200, 1);
    }
}
