package dev.ponder.core.model;

import dev.ponder.core.halting.HaltingGate;
import dev.ponder.core.halting.StickBreaking;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.MoMhaAttention;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.routing.RowGather;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SUT's steps with stick-breaking halting (MODELS.md section 2), forward and backward, on the rows
 * of the tokens still running. Per token: h (the layer's output), A (the halting-weighted sum of
 * earlier h), s (the state others attend to and the output: s_1 = h_1, then A + m h while running,
 * frozen once halted). Step l >= 2:
 * <ol>
 *   <li>gate on h_{l-1} of the previous step's running rows; {@link StickBreaking} gives p_l, m_l and
 *       the running set R_l (a subset of R_{l-1});</li>
 *   <li>the key/value cache takes LN1(s_{l-1}) of R_{l-1} (the rows whose state changed; halted
 *       tokens keep their frozen entries);</li>
 *   <li>x = h_{l-1}[R_l], A_l = A_{l-1}[R_l] + p_l x, h_l = f(x), s_l = A_l + m_l h_l; the output row
 *       of every running token is rewritten with s_l.</li>
 * </ol>
 * Halted tokens run nothing: no gate, router, query, expert or FFN work, and their keys and values
 * are not recomputed. Every array here is compact over the running rows (sorted token ids).
 */
final class SutRecurrence {
    private final SutLayer layer;
    private final HaltingGate gate;
    private final int maxSteps;

    SutRecurrence(SutLayer layer, HaltingGate gate, int maxSteps) {
        this.layer = layer;
        this.gate = gate;
        this.maxSteps = maxSteps;
    }

    /**
     * One step: its halting record (null at step 1), running tokens, the gate (on the previous running
     * rows), the cache update before it, x = h_{l-1}[R_l], h_l, A_l (null at step 1) and the layer.
     * Empty when no token runs (then only halt and gate are set).
     */
    record Step(StickBreaking.Step halt, int[] tokens, HaltingGate.Saved gate, SutLayer.CacheUpdate cache,
                INDArray x, INDArray h, INDArray a, SutLayer.Saved layer) {
        boolean ran() {
            return layer != null;
        }

        /** m_l of the running rows (1 at step 1). */
        double[] mask() {
            return halt == null ? ones(tokens.length) : halt.mActive();
        }
    }

    /** The steps, the halting recurrence, the output states [N, d], the cache and the MACs each token ran. */
    record Trace(Step[] steps, StickBreaking halting, INDArray out, MoMhaAttention.Cache cache, long[] macsPerToken) {}

    /**
     * h0 [B*T, d] (the embeddings; s_0 = h_0) -> the trace with the final states; {@code forBackward}
     * keeps what {@link #backward} reads.
     */
    Trace forward(INDArray h0, int batch, int seqLen, double tau, boolean forBackward) {
        int n = batch * seqLen;
        StickBreaking halting = new StickBreaking(n, maxSteps, tau);
        MoMhaAttention.Cache cache = layer.newCache(batch, seqLen, h0.dataType(), forBackward);
        long[] macs = new long[n];
        INDArray out = Nd4j.createUninitialized(h0.dataType(), n, h0.size(1));
        Step[] steps = new Step[maxSteps];
        int[] all = halting.active();
        SutLayer.CacheUpdate first = layer.updateCache(cache, h0, all);
        add(macs, all, layer.cacheMacsPerRow());
        Fwd<SutLayer.Saved> f1 = layer.forward(h0, all, cache);
        add(macs, all, layer.macsPerRow(f1.saved()));
        steps[0] = new Step(null, all, null, first, h0, f1.out(), null, f1.saved());
        RowGather.copyRows(f1.out(), iota(n), out, all);                  // s_1 = h_1
        INDArray sPrev = f1.out();
        for (int l = 2; l <= maxSteps; l++) {
            Step prev = steps[l - 2];
            int[] prevTokens = halting.active();
            HaltingGate.Result g = prevTokens.length == 0 ? null : gate.forward(prev.h());
            if (g != null) {
                add(macs, prevTokens, gate.macsPerRow());
            }
            StickBreaking.Step hs = halting.advance(g == null ? new double[0] : g.logStay(),
                    g == null ? new double[0] : g.logHalt());
            int[] tokens = hs.active();
            if (tokens.length == 0) {
                steps[l - 1] = new Step(hs, tokens, g == null ? null : g.saved(), null, null, null, null, null);
                continue;
            }
            SutLayer.CacheUpdate cu = layer.updateCache(cache, sPrev, prevTokens);   // s_{l-1} of R_{l-1}
            add(macs, prevTokens, layer.cacheMacsPerRow());
            INDArray x = gatherRows(prev.h(), hs.activeInPrev());                   // h_{l-1}[R_l]
            INDArray p = column(hs.pActive(), x);
            INDArray a = x.mulColumnVector(p);                                      // A_l = A_{l-1}[R_l] + p x
            if (prev.a() != null) {
                a.addi(gatherRows(prev.a(), hs.activeInPrev()));
            }
            Fwd<SutLayer.Saved> f = layer.forward(x, tokens, cache);
            add(macs, tokens, layer.macsPerRow(f.saved()));
            INDArray s = f.out().mulColumnVector(column(hs.mActive(), x)).addi(a);  // s_l = A_l + m_l h_l
            RowGather.copyRows(s, iota(tokens.length), out, tokens);
            steps[l - 1] = new Step(hs, tokens, g.saved(), cu, x, f.out(), a, f.saved());
            sPrev = s;
        }
        return new Trace(steps, halting, out, cache, macs);
    }

    /**
     * dOut [N, d] (gradient at the output states) -> the gradient at h0 [N, d]; accumulates every
     * parameter gradient. The auxiliary losses enter as actCoef (x the ACT value) and, per step
     * (index l - 1; null where a step did not run), the MI loss gradients of the router logits and of
     * the mask weights m_l (ignored at step 1, where m is the constant 1).
     */
    INDArray backward(Trace tr, INDArray dOut, double actCoef, Mi att, Mi ffn) {
        StickBreaking.Backward hb = tr.halting().backward(actCoef);
        int[] depth = tr.halting().depth();
        INDArray dhNext = null;                    // d h_l, compact over R_l, from step l + 1
        INDArray dANext = null;                    // d A_{l+1}, compact over R_{l+1}
        int[] nextInPrev = null;                   // positions of R_{l+1} in R_l
        for (int l = maxSteps; l >= 1; l--) {
            Step st = tr.steps()[l - 1];
            Step next = l < maxSteps ? tr.steps()[l] : null;
            if (!st.ran()) {
                double[] dAlpha = hb.step(st.halt(), null, null);
                dhNext = st.gate() == null ? null : gate.backward(st.gate(), dAlpha);
                dANext = null;
                nextInPrev = null;
                continue;
            }
            int n = st.tokens().length;
            INDArray ds = outputRows(dOut, st.tokens(), depth, l);
            if (next != null && next.ran()) {
                ds.addi(layer.cacheBackward(next.cache(), tr.cache()));         // s_l's keys and values
            }
            INDArray dh = dhNext == null ? Nd4j.zeros(ds.dataType(), n, ds.size(1)) : dhNext;
            dh.addi(ds.mulColumnVector(column(st.mask(), ds)));                 // s_l = A_l + m_l h_l
            INDArray dx = layer.backward(st.layer(), dh, tr.cache(), att.dLogits(l), ffn.dLogits(l));
            if (l == 1) {
                return dx.addi(layer.cacheBackward(st.cache(), tr.cache()));     // s_0 = h_0 fed the first cache
            }
            INDArray dA = ds.dup();
            if (dANext != null) {
                dA.addi(scatterRows(dANext, nextInPrev, n));
            }
            double[] dPi = rowDots(ds, st.h());                                 // through m_l = Pi_l
            att.addWeightGrad(l, dPi);
            ffn.addWeightGrad(l, dPi);
            dx.addi(dA.mulColumnVector(column(st.halt().pActive(), dA)));      // A_l = ... + p_l x
            double[] dp = rowDots(dA, st.x());
            double[] dAlpha = hb.step(st.halt(), dPi, dp);
            int prevRows = st.halt().prevActive().length;
            INDArray dhPrev = scatterRows(dx, st.halt().activeInPrev(), prevRows);
            dhPrev.addi(gate.backward(st.gate(), dAlpha));
            dhNext = dhPrev;
            dANext = l > 2 ? dA : null;                                         // A_1 = 0
            nextInPrev = st.halt().activeInPrev();
        }
        throw new IllegalStateException("unreachable: step 1 always runs");
    }

    /** The MI loss gradients of one module per step (index l - 1). */
    record Mi(INDArray[] logits, double[][] weights) {
        INDArray dLogits(int l) {
            return logits == null ? null : logits[l - 1];
        }

        void addWeightGrad(int l, double[] dPi) {
            if (weights != null && weights[l - 1] != null) {
                for (int i = 0; i < dPi.length; i++) {
                    dPi[i] += weights[l - 1][i];
                }
            }
        }

        static final Mi NONE = new Mi(null, null);
    }

    /** Rows of dOut for the running tokens whose last step is l (their output is s_l), else 0. */
    private static INDArray outputRows(INDArray dOut, int[] tokens, int[] depth, int l) {
        INDArray ds = Nd4j.zeros(dOut.dataType(), tokens.length, dOut.size(1));
        int count = 0;
        for (int t : tokens) {
            count += depth[t] == l ? 1 : 0;
        }
        int[] src = new int[count];
        int[] dst = new int[count];
        int c = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (depth[tokens[i]] == l) {
                src[c] = tokens[i];
                dst[c++] = i;
            }
        }
        RowGather.copyRows(dOut, src, ds, dst);
        return ds;
    }

    private static INDArray gatherRows(INDArray src, int[] rows) {
        INDArray out = Nd4j.createUninitialized(src.dataType(), rows.length, src.size(1));
        RowGather.gather(src, rows, out);
        return out;
    }

    /** A [rows, c] array with src's row i at row positions[i], zeros elsewhere. */
    private static INDArray scatterRows(INDArray src, int[] positions, int rows) {
        INDArray out = Nd4j.zeros(src.dataType(), rows, src.size(1));
        RowGather.copyRows(src, iota(positions.length), out, positions);
        return out;
    }

    private static INDArray column(double[] v, INDArray like) {
        return HostArrays.create(v, like.dataType(), v.length, 1);
    }

    private static double[] rowDots(INDArray a, INDArray b) {
        return HostArrays.read(a.mul(b).sum(1));
    }

    private static void add(long[] macs, int[] tokens, long perRow) {
        for (int t : tokens) {
            macs[t] += perRow;
        }
    }

    private static void add(long[] macs, int[] tokens, long[] perRow) {
        for (int i = 0; i < tokens.length; i++) {
            macs[tokens[i]] += perRow[i];
        }
    }

    static int[] iota(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static double[] ones(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1.0);
        return a;
    }
}
