package dev.ponder.core.nn;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.DispatchPlan;
import dev.ponder.core.routing.Dispatcher;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.routing.RowGather;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SUT's mixture of multi-head attention, MoMHA (MODELS.md section 2), causal, with RoPE, over a
 * subset of query tokens (the tokens still running; halted tokens ask no queries):
 * <ul>
 *   <li>router ({@link TanhRouter}) on the normalised query input xn: k of E experts, renormalised
 *       gates g;</li>
 *   <li>expert e has its own query projection Wq[e] [d, H dh] and output projection Wo[e] [H dh, d]
 *       (H = n_heads heads of d_head per expert); keys and values are dense and shared, K = sn Wk^T,
 *       V = sn Wv^T [H dh, d], computed from every token's current (or frozen) normalised state sn
 *       and kept in a {@link Cache} that only the tokens whose state changed rewrite;</li>
 *   <li>out = sum_j g_j Wo[e_j] Attn(q_{e_j}, K, V): each chosen expert's H heads attend over the
 *       shared key heads with scale 1/sqrt(dh) and a causal mask by token position, so the attention
 *       cost grows with k, not E. The query map is ungated, the gate scales the output side (as the
 *       reference's map / reduce).</li>
 * </ul>
 * Parameters: "{name}.router.*", "{name}.q" [E, d, H dh], "{name}.o" [E, H dh, d], "{name}.k.weight"
 * and "{name}.v.weight" [H dh, d]. Init as the reference: expert weights U(+-1/fan_in) (its
 * ParallelExperts), K and V Xavier-uniform with gain 1/sqrt(2), no biases.
 *
 * <p>Layout: the queries of all sequences are packed into one zero-padded [B H, rows, dh] array
 * (rows slot-major, then token; see {@link Layout}), so one batched gemm scores them against the
 * keys [B H, T_max, dh], T_max = the last running position + 1 (keys past every query are never
 * computed). The cache holds post-RoPE keys and the values as [B, H, T, dh]; row moves between
 * layouts are {@link RowGather} copies.
 */
public final class MoMhaAttention {
    private static final double MASKED = -1e9;

    private final String name;
    private final int dim;
    private final int heads;
    private final int headDim;
    private final int k;
    private final TanhRouter router;
    private final Param q;
    private final Param o;
    private final Linear kProj;
    private final Linear vProj;
    private final Rope rope;
    private final double scale;

    public MoMhaAttention(ParamRegistry reg, String name, int dim, int heads, int headDim, int nExperts, int k,
                          Rope rope) {
        this.name = name;
        this.dim = dim;
        this.heads = heads;
        this.headDim = headDim;
        this.k = k;
        int hd = heads * headDim;
        this.router = new TanhRouter(reg, name + ".router", dim, nExperts, k);
        this.q = reg.add(name + ".q", Init.uniform(1.0 / dim), nExperts, dim, hd);
        this.o = reg.add(name + ".o", Init.uniform(1.0 / hd), nExperts, hd, dim);
        Init xavier = Init.uniform(Math.sqrt(0.5) * Math.sqrt(6.0 / (dim + hd)));
        this.kProj = new Linear(reg, name + ".k", dim, hd, false, xavier);
        this.vProj = new Linear(reg, name + ".v", dim, hd, false, xavier);
        this.rope = rope;
        this.scale = 1.0 / Math.sqrt(headDim);
    }

    /**
     * Keys and values of every token of a batch, [B H T, dh] each (row (b H + h) T + t), plus their
     * gradients during backward. Tokens are numbered b T + t.
     *
     * <p>For training ({@code versioned}) a rewrite copies the arrays first: an attention's backward
     * needs the keys and values it attended over, which later steps overwrite (one [B H T, dh] copy
     * per step, what an uncached implementation would keep anyway). The gradients are per row, not
     * per version: a row's gradient collects every read of its current entry.
     */
    public final class Cache {
        private final int seqLen;
        private final boolean versioned;
        private INDArray keys;
        private INDArray values;
        private boolean filled;
        private INDArray dKeys;
        private INDArray dValues;

        private Cache(int batch, int seqLen, DataType dtype, boolean versioned) {
            this.seqLen = seqLen;
            this.versioned = versioned;
            this.keys = Nd4j.createUninitialized(dtype, (long) batch * heads * seqLen, headDim);
            this.values = Nd4j.createUninitialized(dtype, (long) batch * heads * seqLen, headDim);
        }

        /** Before a rewrite: keep the arrays earlier attentions read (training only). */
        private void newVersion() {
            if (versioned && filled) {
                keys = keys.dup();
                values = values.dup();
            }
            filled = true;
        }

        /** Cache rows of token {@code tokens[i]}, head h at index i * H + h. */
        private int[] rowsOf(int[] tokens) {
            int[] rows = new int[tokens.length * heads];
            for (int i = 0; i < tokens.length; i++) {
                int b = tokens[i] / seqLen;
                int t = tokens[i] % seqLen;
                for (int h = 0; h < heads; h++) {
                    rows[i * heads + h] = (b * heads + h) * seqLen + t;
                }
            }
            return rows;
        }

        private void startBackward() {
            if (dKeys == null) {
                dKeys = Nd4j.zeros(keys.dataType(), keys.shape());
                dValues = Nd4j.zeros(values.dataType(), values.shape());
            }
        }

        /** Every sequence's keys [0, len) of a cache array, [B H, len, dh] (strided when len < T). */
        private INDArray leading(INDArray a, int len) {
            return Nd4j.create(a.data(), new long[] {a.size(0) / seqLen, len, headDim},
                    new long[] {(long) seqLen * headDim, headDim, 1}, a.offset(), 'c');
        }
    }

    /**
     * An empty cache for a batch of B sequences of T tokens (filled by {@link #updateCache});
     * {@code forBackward} keeps the versions a backward pass reads.
     */
    public Cache newCache(int batch, int seqLen, DataType dtype, boolean forBackward) {
        return new Cache(batch, seqLen, dtype, forBackward);
    }

    /** What the cache update's backward needs. */
    public record CacheSaved(int[] tokens, int[] cacheRows, int[] positions, Linear.Saved k, Linear.Saved v) {}

    /** Rewrites the keys and values of {@code tokens} (sorted) from their normalised states sn [n, d]. */
    public CacheSaved updateCache(Cache c, INDArray sn, int[] tokens) {
        int n = tokens.length;
        Shapes.require(sn, name + " key/value input", n, dim);
        long t0 = PhaseTimer.start();
        int[] pos = positions(tokens, c.seqLen);
        Fwd<Linear.Saved> kf = kProj.forward(sn);                    // [n, d] x [d, H dh] -> [n, H dh]
        Fwd<Linear.Saved> vf = vProj.forward(sn);
        rope.forwardRowsInPlace(kf.out(), pos, heads);
        int[] rows = c.rowsOf(tokens);
        int[] src = iota(n * heads);
        c.newVersion();
        RowGather.copyRows(kf.out().reshape((long) n * heads, headDim), src, c.keys, rows); // -> [B H T, dh]
        RowGather.copyRows(vf.out().reshape((long) n * heads, headDim), src, c.values, rows);
        PhaseTimer.stop("attention_proj", t0);
        return new CacheSaved(tokens, rows, pos, kf.saved(), vf.saved());
    }

    /**
     * The gradient of the states a cache update read, [n, d], from the cache gradients accumulated by
     * every later attention that read those entries; the entries' gradients are then cleared
     * (an earlier update of the same rows starts from zero).
     */
    public INDArray cacheBackward(CacheSaved s, Cache c) {
        c.startBackward();
        int n = s.tokens().length;
        long t0 = PhaseTimer.start();
        int[] dst = iota(n * heads);
        INDArray dk = Nd4j.createUninitialized(c.keys.dataType(), (long) n * heads, headDim);
        INDArray dv = Nd4j.createUninitialized(c.keys.dataType(), (long) n * heads, headDim);
        RowGather.copyRows(c.dKeys, s.cacheRows(), dk, dst);
        RowGather.copyRows(c.dValues, s.cacheRows(), dv, dst);
        RowGather.zeroRows(c.dKeys, s.cacheRows());
        RowGather.zeroRows(c.dValues, s.cacheRows());
        INDArray dK = dk.reshape(n, (long) heads * headDim);
        rope.backwardRowsInPlace(dK, s.positions(), heads);
        INDArray dsn = kProj.backward(s.k(), dK).addi(vProj.backward(s.v(), dv.reshape(n, (long) heads * headDim)));
        PhaseTimer.stop("attention_proj", t0);
        return dsn;
    }

    /**
     * The query layout of one attention: every sequence's queries padded to the longest, [B H, rows, dh]
     * with rows = k x (most running tokens of a sequence), row j n + i for slot j of the sequence's
     * i-th running token; all of them see keys [0, keys), keys = the last running position + 1.
     * {@code packedRow[(i k + j) H + h]} is where slot row (i, j), head h sits. Padding rows are zero:
     * uniform attention that nobody reads, and no gradient.
     *
     * <p>Why padded and all at once rather than a batched gemm per sequence: each ND4J call costs
     * 50-150 µs on the loaded 2-core machine, and a step of few running tokens was dominated by the
     * per-sequence calls (measured: a layer step over 32 tokens cost a quarter of one over 1024).
     */
    private record Layout(int batch, int rows, int keys, int[] packedRow) {}

    /** Everything backward needs, the routing (for expert-load statistics) and the MACs run per query row. */
    public record Saved(TanhRouter.Saved router, Routing routing, Dispatcher.Saved query, int[] slotPositions,
                        Layout layout, INDArray packedQ, INDArray probs, INDArray packedOut, INDArray keys,
                        INDArray values, Dispatcher.Saved out, long[] macsPerRow) {}

    /** xn [n, d], the normalised inputs of the query tokens {@code tokens} (sorted) -> [n, d]. */
    public Fwd<Saved> forward(INDArray xn, int[] tokens, Cache c) {
        int n = tokens.length;
        Shapes.require(xn, name + " input", n, dim);
        TanhRouter.Routed routed = router.route(xn);
        Routing r = routed.routing();
        int hd = heads * headDim;
        long t0 = PhaseTimer.start();
        // queries: slot s = i k + j of row i runs Wq[e_s], ungated -> [n k, H dh]
        Routing unit = new Routing(Nd4j.ones(xn.dataType(), n, k), r.experts(), r.counts());
        Fwd<Dispatcher.Saved> qf = Dispatcher.forward(DispatchPlan.contiguous(unit, n, n * k), xn, q.value());
        int[] slotPos = new int[n * k];
        int[] pos = positions(tokens, c.seqLen);
        for (int s = 0; s < slotPos.length; s++) {
            slotPos[s] = pos[s / k];
        }
        rope.forwardRowsInPlace(qf.out(), slotPos, heads);
        PhaseTimer.stop("attention_proj", t0);
        t0 = PhaseTimer.start();
        int batch = (int) (c.keys.size(0) / ((long) heads * c.seqLen));
        Layout lay = layout(tokens, pos, batch, c.seqLen);
        INDArray packedQ = pack(qf.out(), lay);                                  // [B H, rows, dh]
        INDArray p = Ops.mm(packedQ, c.leading(c.keys, lay.keys()), false, true, scale); // -> [B H, rows, keys]
        p.reshape(batch, heads, (long) lay.rows() * lay.keys()).addi(mask(lay, tokens, pos, c.seqLen, xn.dataType()));
        Ops.softmaxLastDimInPlace(p);
        INDArray packedOut = Ops.mm(p, c.leading(c.values, lay.keys()), false, false); // -> [B H, rows, dh]
        INDArray slotOut = Nd4j.createUninitialized(xn.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(packedOut.reshape((long) batch * heads * lay.rows(), headDim), lay.packedRow(), slotOut);
        PhaseTimer.stop("attention_core", t0);
        // outputs: slot s reads its attention result and writes row s / k, gated
        Fwd<Dispatcher.Saved> of = Dispatcher.forward(DispatchPlan.contiguous(r, n * k, n),
                slotOut.reshape((long) n * k, hd), o.value());                  // -> [n, d]
        long[] macs = new long[n];
        for (int i = 0; i < n; i++) {
            // router, query and output experts, scores and values over the keys computed
            macs[i] = router.macsPerRow() + 2L * k * dim * hd + 2L * k * hd * lay.keys();
        }
        return new Fwd<>(of.out(), new Saved(routed.saved(), r, qf.saved(), slotPos, lay, packedQ, p, packedOut,
                c.keys, c.values, of.saved(), macs));
    }

    /**
     * dy [n, d] -> dxn [n, d]; accumulates the weight gradients and the cache's key/value gradients.
     * {@code dLogitsExtra} [n, E] (may be null) is added to the router's logit gradient.
     */
    public INDArray backward(Saved s, INDArray dy, Cache c, INDArray dLogitsExtra) {
        c.startBackward();
        int n = (int) dy.size(0);
        int hd = heads * headDim;
        Layout lay = s.layout();
        Dispatcher.Grads go = Dispatcher.backward(s.out(), o.value(), o.grad(), dy);   // dSlotOut [n k, H dh]
        long t0 = PhaseTimer.start();
        INDArray dO = pack(go.dInput(), lay);                                      // [B H, rows, dh]
        long r = (long) lay.batch() * heads * lay.rows();
        // D_i = rowsum(dO * O): the softmax backward's row term, over dh instead of T (see CausalSoftmaxAttention)
        INDArray rowDot = dO.reshape(r, headDim).mul(s.packedOut().reshape(r, headDim)).sum(1).reshape(r, 1);
        INDArray dP = Ops.mm(dO, c.leading(s.values(), lay.keys()), false, true);  // -> [B H, rows, keys]
        Ops.gemm(s.probs(), dO, c.leading(c.dValues, lay.keys()), true, false, 1.0, 1.0); // dV += P^T dO
        dP.reshape(r, lay.keys()).subiColumnVector(rowDot).muli(s.probs().reshape(r, lay.keys())); // dS = P (dP - D)
        INDArray dPackedQ = Ops.mm(dP, c.leading(s.keys(), lay.keys()), false, false, scale); // -> [B H, rows, dh]
        Ops.gemm(dP, s.packedQ(), c.leading(c.dKeys, lay.keys()), true, false, scale, 1.0); // dK += dS^T Q
        INDArray dq = Nd4j.createUninitialized(dy.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(dPackedQ.reshape(r, headDim), lay.packedRow(), dq);       // -> [n k, H dh]
        PhaseTimer.stop("attention_core", t0);
        t0 = PhaseTimer.start();
        INDArray dqSlots = dq.reshape((long) n * k, hd);
        rope.backwardRowsInPlace(dqSlots, s.slotPositions(), heads);
        INDArray dxn = Dispatcher.backward(s.query(), q.value(), q.grad(), dqSlots).dInput(); // unit gates: no gate grad
        PhaseTimer.stop("attention_proj", t0);
        return dxn.addi(router.backward(s.router(), go.dGates(), dLogitsExtra));
    }

    /** The padded query layout of the running tokens (sorted by token, so grouped by sequence). */
    private Layout layout(int[] tokens, int[] pos, int batch, int seqLen) {
        int[] count = new int[batch];
        int[] local = new int[tokens.length];
        int keys = 0;
        for (int i = 0; i < tokens.length; i++) {
            local[i] = count[tokens[i] / seqLen]++;
            keys = Math.max(keys, pos[i] + 1);
        }
        int most = 0;
        for (int cnt : count) {
            most = Math.max(most, cnt);
        }
        int rows = k * most;
        int[] packed = new int[tokens.length * k * heads];
        for (int i = 0; i < tokens.length; i++) {
            int b = tokens[i] / seqLen;
            for (int j = 0; j < k; j++) {
                for (int h = 0; h < heads; h++) {
                    packed[(i * k + j) * heads + h] = (b * heads + h) * rows + j * most + local[i];
                }
            }
        }
        return new Layout(batch, rows, keys, packed);
    }

    /** Slot rows [n k, H dh] into the zero-padded layout [B H, rows, dh]. */
    private INDArray pack(INDArray slots, Layout lay) {
        INDArray out = Nd4j.zeros(slots.dataType(), (long) lay.batch() * heads, lay.rows(), headDim);
        RowGather.copyRows(slots.reshape((long) lay.packedRow().length, headDim), iota(lay.packedRow().length),
                out.reshape((long) lay.batch() * heads * lay.rows(), headDim), lay.packedRow());
        return out;
    }

    /**
     * Additive causal mask [B, 1, rows * keys] (broadcast over heads): a running token's rows see keys
     * up to its position; padding rows see every key (their queries are zero).
     */
    private INDArray mask(Layout lay, int[] tokens, int[] pos, int seqLen, DataType dtype) {
        int rows = lay.rows();
        int keys = lay.keys();
        int most = rows / k;
        double[] m = new double[lay.batch() * rows * keys];
        int[] seen = new int[lay.batch()];
        for (int i = 0; i < tokens.length; i++) {
            int b = tokens[i] / seqLen;
            int local = seen[b]++;
            for (int j = 0; j < k; j++) {
                int from = (b * rows + j * most + local) * keys;
                java.util.Arrays.fill(m, from + pos[i] + 1, from + keys, MASKED);
            }
        }
        return HostArrays.create(m, dtype, lay.batch(), 1, (long) rows * keys);
    }

    private static int[] positions(int[] tokens, int seqLen) {
        int[] pos = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            pos[i] = tokens[i] % seqLen;
        }
        return pos;
    }

    private static int[] iota(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Forward multiply-adds of one cache update row (keys and values): 2 d H dh. */
    public long cacheMacsPerRow() {
        return 2L * dim * heads * headDim;
    }

    public TanhRouter router() {
        return router;
    }
}
