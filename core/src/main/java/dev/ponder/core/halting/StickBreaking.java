package dev.ponder.core.halting;

import java.util.Arrays;

/**
 * The per-token scalar part of SUT's stick-breaking halting (MODELS.md section 2): the probability
 * of not having halted Pi, the halting probability p of each step, the expected depth D, the
 * routing mask m and the active set, forward and backward. The vector part (the accumulated
 * output A += p h and the frozen states) lives with the model; this class is plain double
 * arithmetic over the tokens of one batch, one instance per forward pass.
 *
 * <p>Step 1 runs every token (Pi_1 = 1, D = 0). Step l >= 2, from the gate's alpha_l (computed
 * from h_{l-1}): p_l = Pi_{l-1} alpha_l, Pi_l = Pi_{l-1} (1 - alpha_l) (in log space, as the
 * reference), D += (l - 2) p_l, m_l = Pi_l where Pi_l >= 1 - tau, else 0. A token runs step l
 * when m_l > 0 (tau = 1: always); once halted it never runs again, since Pi only decreases.
 *
 * <p>A halted token's state no longer changes (its h_l = h_{l-1}: the layer's update is skipped), so
 * its gate input and alpha no longer change either: its alpha is carried over instead of
 * recomputed, and the gate runs only on the previous step's active rows. The recurrence of Pi and
 * D still runs for every token up to the last step, exactly as in the reference.
 *
 * <p>ACT loss = mean over tokens of D_L + Pi_L (L - 1); the expected number of layer applications
 * is that plus 1. (The reference LM port adds the same expression at every step and uses the
 * thresholded m_L for Pi_L; MODELS.md defines the loss on the final step, as here.)
 */
public final class StickBreaking {
    private final int tokens;
    private final int maxSteps;
    private final double minPi;           // 1 - tau
    private final boolean neverHalt;      // tau = 1
    private final double[] logPi;
    private final double[] expectedDepth; // D
    private final double[] logStay;       // the last computed log(1 - alpha) of each token
    private final double[] logHalt;       // and log(alpha)
    private final int[] depth;            // steps run
    private int[] active;
    private int step = 1;

    /** One step l >= 2 of the recurrence, as backward needs it. */
    public record Step(int l, int[] prevActive, int[] active, int[] activeInPrev, double[] piPrev, double[] alpha,
                       double[] p, double[] mActive) {
        /** p_l of the active rows (the weights of A += p h). */
        public double[] pActive() {
            double[] out = new double[active.length];
            for (int i = 0; i < active.length; i++) {
                out[i] = p[active[i]];
            }
            return out;
        }
    }

    /** Starts at step 1 with every token active. */
    public StickBreaking(int tokens, int maxSteps, double tau) {
        if (tokens < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("stick-breaking: expected tokens and steps >= 1, found " + tokens
                    + " and " + maxSteps);
        }
        this.tokens = tokens;
        this.maxSteps = maxSteps;
        this.minPi = 1 - tau;
        this.neverHalt = tau >= 1;
        this.logPi = new double[tokens];
        this.expectedDepth = new double[tokens];
        this.logStay = new double[tokens];
        this.logHalt = new double[tokens];
        this.depth = new int[tokens];
        this.active = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            active[t] = t;
        }
        Arrays.fill(depth, 1);
    }

    /** The tokens (sorted) that the current step runs. */
    public int[] active() {
        return active;
    }

    public int step() {
        return step;
    }

    /**
     * Advances to the next step given the gate's log(1 - alpha) and log(alpha) for the rows of the
     * current active set (in its order); the other tokens reuse their last alpha.
     */
    public Step advance(double[] stayOfActive, double[] haltOfActive) {
        if (step >= maxSteps) {
            throw new IllegalStateException("stick-breaking: already at the last step " + maxSteps);
        }
        if (stayOfActive.length != active.length || haltOfActive.length != active.length) {
            throw new IllegalArgumentException("stick-breaking: expected gate outputs for " + active.length
                    + " active rows, found " + stayOfActive.length + " and " + haltOfActive.length);
        }
        step++;
        for (int i = 0; i < active.length; i++) {
            logStay[active[i]] = stayOfActive[i];
            logHalt[active[i]] = haltOfActive[i];
        }
        double[] piPrev = new double[tokens];
        double[] alpha = new double[tokens];
        double[] p = new double[tokens];
        int[] next = new int[active.length];
        int[] inPrev = new int[active.length];
        double[] m = new double[active.length];
        int n = 0;
        int j = 0;                                                  // cursor in the previous active set
        for (int t = 0; t < tokens; t++) {
            piPrev[t] = Math.exp(logPi[t]);
            alpha[t] = Math.exp(logHalt[t]);
            p[t] = Math.exp(logPi[t] + logHalt[t]);
            logPi[t] += logStay[t];
            expectedDepth[t] += (step - 2) * p[t];
            double pi = Math.exp(logPi[t]);
            while (j < active.length && active[j] < t) {
                j++;
            }
            boolean wasActive = j < active.length && active[j] == t;
            if (wasActive && (neverHalt || pi >= minPi)) {
                next[n] = t;
                inPrev[n] = j;
                m[n] = pi;
                n++;
                depth[t]++;
            }
        }
        Step s = new Step(step, active, Arrays.copyOf(next, n), Arrays.copyOf(inPrev, n), piPrev, alpha, p,
                Arrays.copyOf(m, n));
        active = s.active();
        return s;
    }

    /** True when no token runs the current step (later steps then only continue the scalar recurrence). */
    public boolean allHalted() {
        return active.length == 0;
    }

    /** Mean over tokens of D_L + Pi_L (L - 1) (call after the last step). */
    public double actValue() {
        double sum = 0;
        for (int t = 0; t < tokens; t++) {
            sum += expectedDepth[t] + Math.exp(logPi[t]) * (maxSteps - 1);
        }
        return sum / tokens;
    }

    /** Layer applications each token ran. */
    public int[] depth() {
        return depth.clone();
    }

    public int maxSteps() {
        return maxSteps;
    }

    public int tokens() {
        return tokens;
    }

    /** The adjoints carried backwards through the steps. */
    public final class Backward {
        private final double[] dPi;          // gradient w.r.t. Pi of the step being reversed
        private final double[] carry;        // gradient w.r.t. a carried alpha, not yet sent to its gate
        private final double dDepth;         // d loss / d D_L

        private Backward(double actCoef) {
            dDepth = actCoef / tokens;
            dPi = new double[tokens];
            Arrays.fill(dPi, dDepth * (maxSteps - 1));
            carry = new double[tokens];
        }

        /**
         * Reverses step {@code s} (call for l = L down to 2). {@code dPiActive} and {@code dpActive}
         * (rows of s.active(); either may be null) are the gradients the model's vector part gives
         * Pi_l (through m_l) and p_l (through A). Returns the gradient of alpha_l for the rows of
         * s.prevActive() (the gate inputs of step l), including alpha carried to later steps.
         */
        public double[] step(Step s, double[] dPiActive, double[] dpActive) {
            double[] dp = new double[tokens];
            double d = (s.l() - 2) * dDepth;
            Arrays.fill(dp, d);
            for (int i = 0; i < s.active().length; i++) {
                int t = s.active()[i];
                if (dPiActive != null) {
                    dPi[t] += dPiActive[i];
                }
                if (dpActive != null) {
                    dp[t] += dpActive[i];
                }
            }
            double[] out = new double[s.prevActive().length];
            int j = 0;
            for (int t = 0; t < tokens; t++) {
                double a = s.alpha()[t];
                double dAlpha = s.piPrev()[t] * (dp[t] - dPi[t]) + carry[t];
                dPi[t] = dPi[t] * (1 - a) + dp[t] * a;              // now w.r.t. Pi_{l-1}
                while (j < s.prevActive().length && s.prevActive()[j] < t) {
                    j++;
                }
                if (j < s.prevActive().length && s.prevActive()[j] == t) {
                    out[j] = dAlpha;                                // alpha_l was computed at step l
                    carry[t] = 0;
                } else {
                    carry[t] = dAlpha;                              // alpha_l = alpha_{l-1}: pass it on
                }
            }
            return out;
        }
    }

    /** Starts the backward pass of a loss containing {@code actCoef} x {@link #actValue()}. */
    public Backward backward(double actCoef) {
        return new Backward(actCoef);
    }
}
