package dev.ponder.core.halting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StickBreakingTest {
    @Test
    void constantHalfAlphaHaltsWherePiFallsBelowOneMinusTau() {
        // alpha = 1/2 everywhere: Pi_l = 2^-(l-1); tau 0.9 -> Pi_5 = 1/16 < 0.1 halts at step 5
        StickBreaking sb = new StickBreaking(3, 8, 0.9);
        double half = Math.log(0.5);
        while (sb.step() < 8) {
            int n = sb.active().length;
            double[] v = new double[n];
            java.util.Arrays.fill(v, half);
            sb.advance(v, v);
        }
        assertArrayEquals(new int[] {4, 4, 4}, sb.depth());
        assertEquals(0, sb.active().length);
        // D = sum_{l=2..8} (l - 2) 2^-(l-1), Pi_8 = 2^-7: the recurrence runs on after halting
        double d = 0;
        for (int l = 2; l <= 8; l++) {
            d += (l - 2) * Math.pow(0.5, l - 1);
        }
        assertEquals(d + Math.pow(0.5, 7) * 7, sb.actValue(), 1e-12);
    }

    @Test
    void tauOneNeverHalts() {
        StickBreaking sb = new StickBreaking(2, 5, 1.0);
        while (sb.step() < 5) {
            sb.advance(new double[] {-50, -50}, new double[] {0, 0});   // Pi collapses to ~e^-200
        }
        assertArrayEquals(new int[] {5, 5}, sb.depth());
    }

    /**
     * loss = c ACT + sum_l sum_running (u m_l + v p_l): the backward's alpha gradients (with
     * alphas carried past halting) against central differences on the gate logits, with a
     * halting pattern that a 1e-6 step cannot change.
     */
    @Test
    void backwardMatchesFiniteDifferencesThroughHaltingAndCarriedAlphas() {
        int tokens = 6;
        int steps = 6;
        double tau = 0.8;
        SplittableRandom r = new SplittableRandom(3);
        double[][][] z = new double[steps + 1][tokens][2];                 // gate logits per step and token
        double[][] u = new double[steps + 1][tokens];
        double[][] v = new double[steps + 1][tokens];
        for (int l = 2; l <= steps; l++) {
            for (int t = 0; t < tokens; t++) {
                z[l][t][0] = 1.5 * r.nextDouble();
                z[l][t][1] = 1.5 * r.nextDouble() - 0.5;
                u[l][t] = r.nextDouble() - 0.5;
                v[l][t] = r.nextDouble() - 0.5;
            }
        }
        double c = 0.7;
        Run base = run(z, u, v, c, tokens, steps, tau);
        assertTrue(base.margin > 1e-3, "no Pi within 1e-3 of 1 - tau: " + base.margin);
        int[] depth = base.sb.depth();
        assertTrue(java.util.Arrays.stream(depth).anyMatch(x -> x < steps) && java.util.Arrays.stream(depth)
                .anyMatch(x -> x > 2), "a ragged pattern " + java.util.Arrays.toString(depth));
        // analytic: reverse the steps
        StickBreaking.Backward bw = base.sb.backward(c);
        double[][][] grad = new double[steps + 1][tokens][2];
        for (int l = steps; l >= 2; l--) {
            StickBreaking.Step s = base.steps[l];
            double[] du = new double[s.active().length];
            double[] dv = new double[s.active().length];
            for (int i = 0; i < du.length; i++) {
                du[i] = u[l][s.active()[i]];
                dv[i] = v[l][s.active()[i]];
            }
            double[] dAlpha = bw.step(s, du, dv);
            for (int i = 0; i < s.prevActive().length; i++) {
                int t = s.prevActive()[i];
                double a = s.alpha()[t];
                grad[l][t][1] = dAlpha[i] * a * (1 - a);
                grad[l][t][0] = -grad[l][t][1];
            }
        }
        double eps = 1e-6;
        for (int l = 2; l <= steps; l++) {
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < 2; j++) {
                    double orig = z[l][t][j];
                    z[l][t][j] = orig + eps;
                    double up = run(z, u, v, c, tokens, steps, tau).loss;
                    z[l][t][j] = orig - eps;
                    double down = run(z, u, v, c, tokens, steps, tau).loss;
                    z[l][t][j] = orig;
                    double num = (up - down) / (2 * eps);
                    assertEquals(num, grad[l][t][j], 1e-8, "step " + l + " token " + t + " logit " + j);
                }
            }
        }
    }

    private record Run(StickBreaking sb, StickBreaking.Step[] steps, double loss, double margin) {}

    /** The recurrence where the gate's logits come from z only for the rows it is asked about. */
    private static Run run(double[][][] z, double[][] u, double[][] v, double c, int tokens, int steps, double tau) {
        StickBreaking sb = new StickBreaking(tokens, steps, tau);
        StickBreaking.Step[] saved = new StickBreaking.Step[steps + 1];
        double loss = 0;
        double margin = Double.MAX_VALUE;
        for (int l = 2; l <= steps; l++) {
            int[] act = sb.active();
            double[] stay = new double[act.length];
            double[] halt = new double[act.length];
            for (int i = 0; i < act.length; i++) {
                double[] zz = z[l][act[i]];
                double lse = Math.log(Math.exp(zz[0]) + Math.exp(zz[1]));
                stay[i] = zz[0] - lse;
                halt[i] = zz[1] - lse;
            }
            StickBreaking.Step s = sb.advance(stay, halt);
            saved[l] = s;
            for (int i = 0; i < s.active().length; i++) {
                int t = s.active()[i];
                loss += u[l][t] * s.mActive()[i] + v[l][t] * s.p()[t];
            }
            for (int t = 0; t < tokens; t++) {
                double pi = s.piPrev()[t] * (1 - s.alpha()[t]);
                margin = Math.min(margin, Math.abs(pi - (1 - tau)));
            }
        }
        return new Run(sb, saved, loss + c * sb.actValue(), margin);
    }
}
