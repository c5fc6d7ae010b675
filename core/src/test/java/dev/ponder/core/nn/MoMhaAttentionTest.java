package dev.ponder.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamSpec;
import dev.ponder.core.params.ParamStore;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class MoMhaAttentionTest {
    private static final int B = 2;
    private static final int T = 6;
    private static final int D = 8;
    private static final int H = 2;
    private static final int DH = 4;
    private static final int E = 3;
    private static final int K = 2;

    private record Fixture(MoMhaAttention att, ParamStore store) {}

    private static Fixture fixture(long seed) {
        ParamRegistry reg = new ParamRegistry();
        MoMhaAttention att = new MoMhaAttention(reg, "att", D, H, DH, E, K, new Rope(DH, 4, 10000));
        ParamStore store = reg.build(DataType.DOUBLE, seed);
        GradCheck.randomizeParams(store, seed + 1, 0.8);
        return new Fixture(att, store);
    }

    /** Query tokens of the two attentions: subsets with gaps; sequence 1 misses its first tokens (ragged blocks). */
    private static final int[] Q1 = {0, 2, 3, 5, 8, 9, 11};
    private static final int[] Q2 = {2, 3, 8, 9};

    /**
     * As between two SUT steps: the cache filled for every token from sn, an attention for Q1, a
     * partial rewrite (rows 2, 8, 9 from sn2), an attention for Q2 over the rewritten cache. The
     * backward runs in reverse order, and the first attention's backward must see the keys and
     * values it read, not the rewritten ones. Returns the loss sum(out1 r1) + sum(out2 r2).
     */
    private static double run(Fixture f, INDArray[] in, INDArray[] r, boolean backward, INDArray[] grads) {
        int[] all = new int[B * T];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        MoMhaAttention.Cache c = f.att().newCache(B, T, DataType.DOUBLE, backward);
        MoMhaAttention.CacheSaved first = f.att().updateCache(c, in[1], all);
        Fwd<MoMhaAttention.Saved> out1 = f.att().forward(in[0], Q1, c);
        MoMhaAttention.CacheSaved second = f.att().updateCache(c, in[2], new int[] {2, 8, 9});
        Fwd<MoMhaAttention.Saved> out2 = f.att().forward(in[3], Q2, c);
        if (backward) {
            grads[3] = f.att().backward(out2.saved(), r[1], c, null);
            grads[2] = f.att().cacheBackward(second, c);
            grads[0] = f.att().backward(out1.saved(), r[0], c, null);
            grads[1] = f.att().cacheBackward(first, c);
        }
        return GradCheck.weightedSum(out1.out(), r[0]) + GradCheck.weightedSum(out2.out(), r[1]);
    }

    private static INDArray[] inputs() {
        return new INDArray[] {GradCheck.random(1, Q1.length, D), GradCheck.random(2, B * T, D),
                GradCheck.random(4, 3, D), GradCheck.random(6, Q2.length, D)};
    }

    @Test
    void gradientsOfQueriesCacheStatesAndParametersMatchFiniteDifferences() {
        Fixture f = fixture(3);
        INDArray[] in = inputs();
        INDArray[] r = {GradCheck.random(5, Q1.length, D), GradCheck.random(7, Q2.length, D)};
        INDArray[] g = new INDArray[4];
        f.store().zeroGrads();
        run(f, in, r, true, g);
        DoubleSupplier loss = () -> run(f, in, r, false, null);
        String[] names = {"dxn1", "dsn", "dsn2", "dxn2"};
        for (int i = 0; i < 4; i++) {
            GradCheck.check(names[i], in[i], g[i], loss, 120, i + 1);
        }
        for (ParamSpec s : f.store().specs()) {
            GradCheck.check(s.name(), f.store().value(s.name()), f.store().grad(s.name()), loss, 30, s.offset());
        }
    }

    /** Rows of sn overwritten before the second attention get only the first attention's gradient. */
    @Test
    void overwrittenCacheEntriesGetOnlyTheirReadersGradient() {
        Fixture f = fixture(7);
        INDArray[] in = inputs();
        INDArray[] g = new INDArray[4];
        INDArray zero = org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, Q1.length, D);
        run(f, in, new INDArray[] {zero, GradCheck.random(7, Q2.length, D)}, true, g);
        for (int row : new int[] {2, 8, 9}) {
            assertEquals(0.0, g[1].getRow(row).norm2Number().doubleValue(), 0.0, "row " + row);
        }
        assertEquals(0.0, g[0].norm2Number().doubleValue(), 0.0);
    }
}
