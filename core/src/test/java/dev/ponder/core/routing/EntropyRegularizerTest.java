package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EntropyRegularizerTest {
    private static final int B = 2;
    private static final int T = 3;

    /** Direct formula: -mean over (b, g) of H(mean over (t, r) of softmax). */
    private static double direct(List<INDArray> zs, int groups, int e) {
        double total = 0;
        for (int b = 0; b < B; b++) {
            for (int g = 0; g < groups; g++) {
                double[] p = new double[e];
                for (INDArray z : zs) {
                    for (int t = 0; t < T; t++) {
                        double[] row = new double[e];
                        double sum = 0;
                        for (int i = 0; i < e; i++) {
                            row[i] = Math.exp(z.getDouble(b * T + t, g * e + i));
                            sum += row[i];
                        }
                        for (int i = 0; i < e; i++) {
                            p[i] += row[i] / sum / (T * zs.size());
                        }
                    }
                }
                for (double v : p) {
                    total += v * Math.log(v);
                }
            }
        }
        return total / (B * groups);
    }

    @Test
    void valueMatchesTheDirectFormulaAndUniformGivesMinusLogE() {
        List<INDArray> zs = List.of(GradCheck.random(1, B * T, 2 * 3).muli(3), GradCheck.random(2, B * T, 2 * 3));
        assertEquals(direct(zs, 2, 3), EntropyRegularizer.compute(zs, B, T, 2, 3, 1.0).loss(), 1e-12);
        INDArray flat = Nd4j.zeros(zs.get(0).dataType(), B * T, 4);
        assertEquals(-Math.log(4), EntropyRegularizer.compute(List.of(flat), B, T, 1, 4, 1.0).loss(), 1e-12);
    }

    @Test
    void gradientOverAllRepeatsMatchesFiniteDifferences() {
        List<INDArray> zs = List.of(GradCheck.random(3, B * T, 8).muli(2), GradCheck.random(4, B * T, 8),
                GradCheck.random(5, B * T, 8));
        EntropyRegularizer.Result r = EntropyRegularizer.compute(zs, B, T, 2, 4, 0.7);
        for (int i = 0; i < zs.size(); i++) {
            GradCheck.check("repeat " + i, zs.get(i), r.dLogits().get(i),
                    () -> 0.7 * EntropyRegularizer.compute(zs, B, T, 2, 4, 0.7).loss(), 100, i);
        }
    }

    /**
     * Invocations over different token counts (MoD routes a shared layer over subsets) pool as one
     * invocation holding each sequence's rows of both: p_b is the mean over all of them.
     */
    @Test
    void invocationsOfDifferentLengthsPoolTheirTokens() {
        int t1 = 3;
        int t2 = 2;
        INDArray z1 = GradCheck.random(6, B * t1, 4).muli(2);
        INDArray z2 = GradCheck.random(7, B * t2, 4);
        INDArray joined = Nd4j.create(z1.dataType(), B * (t1 + t2), 4);   // sequence b: its t1 rows, then its t2 rows
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < t1; i++) {
                joined.putRow(b * (t1 + t2) + i, z1.getRow(b * t1 + i));
            }
            for (int i = 0; i < t2; i++) {
                joined.putRow(b * (t1 + t2) + t1 + i, z2.getRow(b * t2 + i));
            }
        }
        EntropyRegularizer.Result split = EntropyRegularizer.compute(List.of(z1, z2), B, new int[] {t1, t2}, 1, 4, 0.5);
        EntropyRegularizer.Result one = EntropyRegularizer.compute(List.of(joined), B, t1 + t2, 1, 4, 0.5);
        assertEquals(one.loss(), split.loss(), 1e-12);
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < t1; i++) {
                assertEquals(one.dLogits().get(0).getRow(b * (t1 + t2) + i), split.dLogits().get(0).getRow(b * t1 + i));
            }
            for (int i = 0; i < t2; i++) {
                assertEquals(one.dLogits().get(0).getRow(b * (t1 + t2) + t1 + i),
                        split.dLogits().get(1).getRow(b * t2 + i));
            }
        }
    }
}
