package dev.ponder.core.routing;

import java.util.Arrays;

/**
 * Mixture-of-Depths token choice (Raposo et al. 2024; MODELS.md section 4): per sequence, the C
 * tokens with the largest router scores go through the block. C = round(capacity * T), at least 1.
 * The chosen rows are returned in position order, so a routed block can run causal attention over
 * them as a shorter sequence. Ties go to the earlier position, so the choice is deterministic.
 *
 * <p>Top-C over a whole sequence looks at future tokens: fine for training (the paper's
 * formulation), not for causal sampling, which uses a predictor trained on this choice instead.
 */
public final class TopC {
    private TopC() {}

    /** Tokens per sequence that a block with this capacity fraction computes: round(c T), in [1, T]. */
    public static int capacity(double fraction, int seqLen) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("capacity: expected a fraction in (0, 1], found " + fraction);
        }
        return (int) Math.max(1, Math.min(seqLen, Math.round(fraction * seqLen)));
    }

    /**
     * Rows b*T + t of the C highest {@code scores} [B*T] of each sequence, [B*C], ascending within
     * each sequence.
     */
    public static int[] select(double[] scores, int batch, int seqLen, int c) {
        check(scores, batch, seqLen, c);
        int[] out = new int[batch * c];
        Integer[] order = new Integer[seqLen];
        for (int b = 0; b < batch; b++) {
            int base = b * seqLen;
            for (int t = 0; t < seqLen; t++) {
                order[t] = t;
            }
            // descending score, then ascending position
            Arrays.sort(order, (i, j) -> {
                int cmp = Double.compare(scores[base + j], scores[base + i]);
                return cmp != 0 ? cmp : Integer.compare(i, j);
            });
            for (int i = 0; i < c; i++) {
                out[b * c + i] = base + order[i];
            }
            Arrays.sort(out, b * c, (b + 1) * c);
        }
        return out;
    }

    /** [B*T] membership of each row in {@code rows} (a {@link #select} result). */
    public static boolean[] membership(int[] rows, int n) {
        boolean[] m = new boolean[n];
        for (int r : rows) {
            m[r] = true;
        }
        return m;
    }

    /**
     * The smallest gap over sequences between the C-th and (C+1)-th largest score: a perturbation
     * that moves every score by less than half of it cannot change the choice (for gradient
     * checks). {@link Double#MAX_VALUE} when C = T.
     */
    public static double margin(double[] scores, int batch, int seqLen, int c) {
        check(scores, batch, seqLen, c);
        if (c == seqLen) {
            return Double.MAX_VALUE;
        }
        double m = Double.MAX_VALUE;
        for (int b = 0; b < batch; b++) {
            double[] s = Arrays.copyOfRange(scores, b * seqLen, (b + 1) * seqLen);
            Arrays.sort(s);
            m = Math.min(m, s[seqLen - c] - s[seqLen - c - 1]);
        }
        return m;
    }

    private static void check(double[] scores, int batch, int seqLen, int c) {
        if (scores.length != (long) batch * seqLen) {
            throw new IllegalArgumentException("top-C scores: expected " + ((long) batch * seqLen) + " (B*T), found "
                    + scores.length);
        }
        if (c < 1 || c > seqLen) {
            throw new IllegalArgumentException("top-C: expected C in [1, T = " + seqLen + "], found " + c);
        }
    }
}
