package dev.ponder.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class MutualInformationLossTest {
    private static final int E = 4;

    private static double[] softmaxRows(double[] z) {
        double[] p = new double[z.length];
        for (int r = 0; r < z.length / E; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < E; e++) {
                max = Math.max(max, z[r * E + e]);
            }
            double sum = 0;
            for (int e = 0; e < E; e++) {
                p[r * E + e] = Math.exp(z[r * E + e] - max);
                sum += p[r * E + e];
            }
            for (int e = 0; e < E; e++) {
                p[r * E + e] /= sum;
            }
        }
        return p;
    }

    @Test
    void valuesAreTheEntropiesWithEitherSign() {
        // two rows, one-hot on different experts, equal weights: H(E|X) = 0, H(E) = ln 2
        double[] p = {1, 0, 0, 0, 0, 1, 0, 0};
        MutualInformationLoss.Result minusMi = MutualInformationLoss.compute(List.of(p), List.of(new double[] {1, 1}),
                E, 2.0, false, DataType.DOUBLE);
        assertEquals(0.0, minusMi.conditionalEntropy(), 1e-15);
        assertEquals(Math.log(2), minusMi.marginalEntropy(), 1e-15);
        assertEquals(-2 * Math.log(2), minusMi.loss(), 1e-15, "-MI = H(E|X) - H(E), times the coefficient");
        MutualInformationLoss.Result ref = MutualInformationLoss.compute(List.of(p), List.of(new double[] {1, 1}),
                E, 2.0, true, DataType.DOUBLE);
        assertEquals(2 * Math.log(2), ref.loss(), 1e-15, "the reference's H(E|X) + H(E)");
        // uniform rows: no information either way
        double[] u = new double[2 * E];
        java.util.Arrays.fill(u, 0.25);
        assertEquals(0.0, MutualInformationLoss.compute(List.of(u), List.of(new double[] {0.3, 1}), E, 1.0, false,
                DataType.DOUBLE).loss(), 1e-15);
        // a weight of 0 removes a row (a halted token)
        double[] mixed = {1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25};
        assertEquals(0.0, MutualInformationLoss.compute(List.of(mixed), List.of(new double[] {1, 0}), E, 1.0, false,
                DataType.DOUBLE).loss(), 1e-15);
    }

    @Test
    void logitAndWeightGradientsMatchFiniteDifferencesForBothSigns() {
        for (boolean referenceSign : new boolean[] {false, true}) {
            SplittableRandom r = new SplittableRandom(referenceSign ? 5 : 6);
            double[][] z = {new double[3 * E], new double[2 * E]};
            double[][] m = {new double[3], new double[2]};
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < z[i].length; j++) {
                    z[i][j] = 3 * r.nextDouble() - 1.5;
                }
                for (int j = 0; j < m[i].length; j++) {
                    m[i][j] = 0.2 + r.nextDouble();
                }
            }
            double coef = 0.37;
            java.util.function.DoubleSupplier loss = () -> MutualInformationLoss.compute(
                    List.of(softmaxRows(z[0]), softmaxRows(z[1])), List.of(m[0], m[1]), E, coef, referenceSign,
                    DataType.DOUBLE).loss();
            MutualInformationLoss.Result res = MutualInformationLoss.compute(List.of(softmaxRows(z[0]), softmaxRows(z[1])),
                    List.of(m[0], m[1]), E, coef, referenceSign, DataType.DOUBLE);
            double eps = 1e-6;
            for (int i = 0; i < 2; i++) {
                double[] dz = HostArrays.read(res.dLogits().get(i));
                for (int j = 0; j < z[i].length; j++) {
                    double num = central(z[i], j, eps, loss);
                    assertEquals(num, dz[j], 1e-8, "logit " + i + "," + j + " reference sign " + referenceSign);
                }
                for (int j = 0; j < m[i].length; j++) {
                    double num = central(m[i], j, eps, loss);
                    assertEquals(num, res.dWeights().get(i)[j], 1e-8, "weight " + i + "," + j);
                }
            }
            assertTrue(Double.isFinite(res.loss()));
        }
    }

    private static double central(double[] x, int j, double eps, java.util.function.DoubleSupplier f) {
        double orig = x[j];
        x[j] = orig + eps;
        double up = f.getAsDouble();
        x[j] = orig - eps;
        double down = f.getAsDouble();
        x[j] = orig;
        return (up - down) / (2 * eps);
    }
}
