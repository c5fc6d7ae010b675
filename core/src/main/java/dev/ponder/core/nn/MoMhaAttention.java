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
import dev.ponder.core.routing.Views;
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
 * <p>Layout: queries of sequence b are packed as [H, k n_b, dh] (rows slot-major, then token), so
 * one batched gemm per sequence scores them against that sequence's keys [H, T_b, dh], T_b = the
 * last active position + 1 (keys past every query are never computed). The cache holds post-RoPE
 * keys and the values as [B, H, T, dh]; row moves between layouts are {@link RowGather} copies.
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

        /** Sequence b's [H, len, dh] block of a cache array (strided when len < T). */
        private INDArray block(INDArray a, int b, int len) {
            return Nd4j.create(a.data(), new long[] {heads, len, headDim},
                    new long[] {(long) seqLen * headDim, headDim, 1}, a.offset() + (long) b * heads * seqLen * headDim, 'c');
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

    /** Per sequence: query rows [H, k n_b, dh] start at packed row {@code base} and see keys [0, keys). */
    private record Block(int b, int base, int rows, int keys, INDArray probs) {}

    /** Everything backward needs, the routing (for expert-load statistics) and the MACs run per query row. */
    public record Saved(TanhRouter.Saved router, Routing routing, Dispatcher.Saved query, int[] slotPositions,
                        int[] packSource, int[] unpackSource, INDArray packedQ, INDArray packedOut, Block[] blocks,
                        INDArray keys, INDArray values, Dispatcher.Saved out, long[] macsPerRow) {}

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
        Block[] blocks = blocks(tokens, pos, c);
        int[][] maps = packMaps(blocks, tokens, c.seqLen);
        INDArray packedQ = Nd4j.createUninitialized(xn.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(qf.out().reshape((long) n * k * heads, headDim), maps[0], packedQ);
        INDArray packedOut = Nd4j.createUninitialized(xn.dataType(), (long) n * k * heads, headDim);
        long[] macs = new long[n];
        int row = 0;
        for (int bi = 0; bi < blocks.length; bi++) {
            Block bl = blocks[bi];
            INDArray qb = packed(packedQ, bl);                                  // [H, k n_b, dh]
            INDArray p = Ops.mm(qb, c.block(c.keys, bl.b(), bl.keys()), false, true, scale); // -> [H, k n_b, T_b]
            p.reshape(heads, (long) bl.rows() * bl.keys()).addiRowVector(mask(bl, pos, row, xn.dataType()));
            Ops.softmaxLastDimInPlace(p);
            Ops.gemm(p, c.block(c.values, bl.b(), bl.keys()), packed(packedOut, bl), false, false, 1.0, 0.0);
            blocks[bi] = new Block(bl.b(), bl.base(), bl.rows(), bl.keys(), p);
            for (int i = 0; i < bl.rows() / k; i++) {
                macs[row + i] = 2L * k * hd * bl.keys();                          // scores and values
            }
            row += bl.rows() / k;
        }
        INDArray slotOut = Nd4j.createUninitialized(xn.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(packedOut, maps[1], slotOut);                           // -> [n k H, dh] = [n k, H dh]
        PhaseTimer.stop("attention_core", t0);
        // outputs: slot s reads its attention result and writes row s / k, gated
        Fwd<Dispatcher.Saved> of = Dispatcher.forward(DispatchPlan.contiguous(r, n * k, n),
                slotOut.reshape((long) n * k, hd), o.value());                  // -> [n, d]
        for (int i = 0; i < n; i++) {
            macs[i] += router.macsPerRow() + 2L * k * dim * hd;                  // router, query and output experts
        }
        return new Fwd<>(of.out(), new Saved(routed.saved(), r, qf.saved(), slotPos, maps[0], maps[1], packedQ,
                packedOut, blocks, c.keys, c.values, of.saved(), macs));
    }

    /**
     * dy [n, d] -> dxn [n, d]; accumulates the weight gradients and the cache's key/value gradients.
     * {@code dLogitsExtra} [n, E] (may be null) is added to the router's logit gradient.
     */
    public INDArray backward(Saved s, INDArray dy, Cache c, INDArray dLogitsExtra) {
        c.startBackward();
        int n = (int) dy.size(0);
        int hd = heads * headDim;
        Dispatcher.Grads go = Dispatcher.backward(s.out(), o.value(), o.grad(), dy);   // dSlotOut [n k, H dh]
        long t0 = PhaseTimer.start();
        INDArray dPackedOut = Nd4j.createUninitialized(dy.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(go.dInput().reshape((long) n * k * heads, headDim), s.packSource(), dPackedOut);
        // D_i = rowsum(dO * O): the softmax backward's row term, over dh instead of T (see CausalSoftmaxAttention)
        INDArray rowDot = dPackedOut.mul(s.packedOut()).sum(1).reshape((long) n * k * heads, 1);
        INDArray dPackedQ = Nd4j.createUninitialized(dy.dataType(), (long) n * k * heads, headDim);
        for (Block bl : s.blocks()) {
            INDArray dO = packed(dPackedOut, bl);                                 // [H, k n_b, dh]
            INDArray dP = Ops.mm(dO, c.block(s.values(), bl.b(), bl.keys()), false, true); // -> [H, k n_b, T_b]
            Ops.gemm(bl.probs(), dO, c.block(c.dValues, bl.b(), bl.keys()), true, false, 1.0, 1.0); // dV += P^T dO
            long r = (long) heads * bl.rows();
            dP.reshape(r, bl.keys()).subiColumnVector(Views.rows(rowDot, bl.base(), r))
                    .muli(bl.probs().reshape(r, bl.keys()));                      // dS = P (dP - D)
            Ops.gemm(dP, c.block(s.keys(), bl.b(), bl.keys()), packed(dPackedQ, bl), false, false, scale, 0.0);
            Ops.gemm(dP, packed(s.packedQ(), bl), c.block(c.dKeys, bl.b(), bl.keys()), true, false, scale, 1.0);
        }
        INDArray dq = Nd4j.createUninitialized(dy.dataType(), (long) n * k * heads, headDim);
        RowGather.gather(dPackedQ, s.unpackSource(), dq);                           // -> [n k, H dh]
        PhaseTimer.stop("attention_core", t0);
        t0 = PhaseTimer.start();
        INDArray dqSlots = dq.reshape((long) n * k, hd);
        rope.backwardRowsInPlace(dqSlots, s.slotPositions(), heads);
        INDArray dxn = Dispatcher.backward(s.query(), q.value(), q.grad(), dqSlots).dInput(); // unit gates: no gate grad
        PhaseTimer.stop("attention_proj", t0);
        return dxn.addi(router.backward(s.router(), go.dGates(), dLogitsExtra));
    }

    /** Queries per sequence: [H, k n_b, dh] blocks in token order, each seeing keys up to its last position. */
    private Block[] blocks(int[] tokens, int[] pos, Cache c) {
        java.util.List<Block> out = new java.util.ArrayList<>();
        int base = 0;
        int i = 0;
        while (i < tokens.length) {
            int b = tokens[i] / c.seqLen;
            int j = i;
            while (j < tokens.length && tokens[j] / c.seqLen == b) {
                j++;
            }
            out.add(new Block(b, base, k * (j - i), pos[j - 1] + 1, null));
            base += heads * k * (j - i);
            i = j;
        }
        return out.toArray(new Block[0]);
    }

    /**
     * Row maps between the slot layout [n k H, dh] (row (i k + j) H + h) and the packed layout
     * (sequence blocks [H, k n_b, dh]): {pack source: slot row of each packed row, unpack source:
     * packed row of each slot row}.
     */
    private int[][] packMaps(Block[] blocks, int[] tokens, int seqLen) {
        int total = tokens.length * k * heads;
        int[] pack = new int[total];
        int[] unpack = new int[total];
        int first = 0;                                                           // first query row of the block
        for (Block bl : blocks) {
            int nb = bl.rows() / k;
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < k; j++) {
                    for (int i = 0; i < nb; i++) {
                        int packedRow = bl.base() + (h * k + j) * nb + i;
                        int slotRow = ((first + i) * k + j) * heads + h;
                        pack[packedRow] = slotRow;
                        unpack[slotRow] = packedRow;
                    }
                }
            }
            first += nb;
        }
        return new int[][] {pack, unpack};
    }

    /** Additive causal mask [k n_b * T_b] of a block: query row (j, i) sees keys <= its position. */
    private INDArray mask(Block bl, int[] pos, int firstRow, DataType dtype) {
        int nb = bl.rows() / k;
        int keys = bl.keys();
        double[] m = new double[bl.rows() * keys];
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < nb; i++) {
                int from = (j * nb + i) * keys;
                for (int key = pos[firstRow + i] + 1; key < keys; key++) {
                    m[from + key] = MASKED;
                }
            }
        }
        return HostArrays.create(m, dtype, m.length);
    }

    /** A block's [H, k n_b, dh] view of a packed [n k H, dh] array. */
    private INDArray packed(INDArray a, Block bl) {
        return Views.rows(a, bl.base(), (long) heads * bl.rows()).reshape(heads, bl.rows(), headDim);
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
