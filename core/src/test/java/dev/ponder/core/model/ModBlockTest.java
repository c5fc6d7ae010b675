package dev.ponder.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ponder.core.GradCheck;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.params.ParamStore;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.routing.TopC;
import dev.ponder.core.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The MoD wrapper around a recording linear block: what it routes, what it computes, its gradients. */
class ModBlockTest {
    private static final int B = 2;
    private static final int T = 6;
    private static final int D = 4;

    /** f(x)_i = x_i A + 0.1 * position_i on column 0; records what it was called with. */
    static final class LinearBlock implements ResidualBlock {
        final INDArray a = GradCheck.random(11, D, D).muli(0.5);
        int batch;
        int len;
        int rows;
        int[] positions;

        record S() implements Saved {}

        @Override
        public Saved forwardInPlace(INDArray x, int batch, int len, int[] positions, boolean training, Rng rng) {
            this.batch = batch;
            this.len = len;
            this.rows = (int) x.rows();
            this.positions = positions.clone();
            INDArray f = x.mmul(a);                                          // [rows, D] x [D, D]
            for (int i = 0; i < x.rows(); i++) {
                f.putScalar(i, 0, f.getDouble(i, 0) + 0.1 * positions[i]);
            }
            x.addi(f);
            return new S();
        }

        @Override
        public INDArray backwardInPlace(Saved s, INDArray dx, RouterLogitGrads extra) {
            return dx.addi(dx.mmul(a.transpose()));
        }

        @Override
        public long macsPerToken(int len) {
            return D * D;
        }

        @Override
        public long executedMacs(Saved s, int rows, int len) {
            return (long) rows * D * D;
        }
    }

    private record Setup(ModBlock mod, LinearBlock block, ParamStore store) {}

    private static Setup setup(ModSettings s, long seed) {
        ParamRegistry reg = new ParamRegistry();
        LinearBlock block = new LinearBlock();
        ModBlock mod = new ModBlock(reg, "mod.1", block, D, s);
        ParamStore store = reg.build(DataType.DOUBLE, seed);
        GradCheck.randomizeParams(store, seed, 0.8);
        return new Setup(mod, block, store);
    }

    private static ModSettings settings(double capacity, String scale) {
        return new ModSettings("dense", capacity, 1, scale, 3, 0.7, "predictor");
    }

    @Test
    void onlyTheTopCTokensRunTheBlockAsAShorterSequenceAndGetTheScaledUpdate() {
        for (String scale : ModSettings.ROUTER_SCALES) {
            Setup s = setup(settings(0.5, scale), 3);
            INDArray x = GradCheck.random(5, B * T, D);
            INDArray in = x.dup();
            ModBlock.Saved saved = s.mod().forwardInPlace(x, B, T, ModBlock.Choice.TOP_C, true, null);
            double[] r = HostArrays.read(in.mmul(s.store().value("mod.1.router.weight").transpose()));
            int[] top = TopC.select(r, B, T, 3);
            assertEquals(B, s.block().batch);
            assertEquals(3, s.block().len, "C = 0.5 * 6 rows per sequence");
            assertEquals(B * 3, s.block().rows, "the block computes only the selected rows");
            int[] pos = new int[top.length];
            for (int i = 0; i < top.length; i++) {
                pos[i] = top[i] % T;
            }
            assertArrayEquals(pos, s.block().positions, "original positions, increasing per sequence");
            boolean[] member = TopC.membership(top, B * T);
            for (int row = 0; row < B * T; row++) {
                if (!member[row]) {
                    assertEquals(in.getRow(row), x.getRow(row), "skipped token " + row + " is unchanged");
                }
            }
            for (int i = 0; i < top.length; i++) {
                int row = top[i];
                double sc = scale.equals("linear") ? r[row] : scale.equals("sigmoid") ? 1 / (1 + Math.exp(-r[row])) : 1;
                INDArray f = in.getRow(row).reshape(1, D).mmul(s.block().a);
                f.putScalar(0, 0, f.getDouble(0, 0) + 0.1 * pos[i]);
                assertTrue(in.getRow(row).reshape(1, D).add(f.mul(sc)).equalsWithEps(x.getRow(row).reshape(1, D), 1e-12),
                        scale + ": selected token " + row + " gets x + s(r) f(x)");
            }
            assertEquals(B * 3, saved.selection().selected());
        }
    }

    @Test
    void gradientsOfInputRouterAndPredictorMatchFiniteDifferences() {
        for (String scale : ModSettings.ROUTER_SCALES) {
            Setup s = setup(settings(0.5, scale), 7);
            INDArray x = GradCheck.random(8, B * T, D);
            INDArray w = GradCheck.random(9, B * T, D);
            java.util.function.DoubleSupplier loss = () -> {
                INDArray y = x.dup();
                ModBlock.Saved sv = s.mod().forwardInPlace(y, B, T, ModBlock.Choice.TOP_C, true, null);
                return GradCheck.weightedSum(y, w) + 0.7 * sv.bce();
            };
            // The predictor reads x through a stop-gradient: x's gradient is that of the main path alone.
            java.util.function.DoubleSupplier mainLoss = () -> {
                INDArray y = x.dup();
                s.mod().forwardInPlace(y, B, T, ModBlock.Choice.TOP_C, true, null);
                return GradCheck.weightedSum(y, w);
            };
            INDArray y = x.dup();
            ModBlock.Saved sv = s.mod().forwardInPlace(y, B, T, ModBlock.Choice.TOP_C, true, null);
            assertTrue(TopC.margin(sv.r(), B, T, 3) > 1e-4, "finite differences cannot change the selection");
            s.store().zeroGrads();
            INDArray dx = s.mod().backwardInPlace(sv, w.dup(), null);
            GradCheck.check(scale + " dx", x, dx, mainLoss, 100, 1);
            GradCheck.checkAllParams(s.store(), loss, 100);
            if (scale.equals("one")) {
                assertEquals(0.0, s.store().grad("mod.1.router.weight").norm2Number().doubleValue(),
                        "a fixed scale gives the router no gradient");
            }
        }
    }

    @Test
    void predictorSelectionPadsSubsequencesAtTheirEndAndNeverAddsPadding() {
        double[] z = {1, -1, 2, -3, 0.5, -1, /* seq 1 */ -1, -1, 4, -1, -2, -5};
        ModBlock.Selection sel = ModBlock.fromPredictor(z, B, T);
        assertEquals(3, sel.len(), "the longest subsequence");
        assertArrayEquals(new int[] {0, 2, 4, 8, 11, 11}, sel.src());
        assertArrayEquals(new int[] {0, 2, 4, 8, -1, -1}, sel.dst());
        assertArrayEquals(new int[] {0, 2, 4, 2, 5, 5}, sel.positions());
        assertEquals(4, sel.selected());
        assertNull(ModBlock.fromPredictor(new double[] {-1, -2, -3, -1, -1, -1, -1, -1, -1, -1, -1, -1}, B, T));

        Setup s = setup(settings(0.5, "linear"), 4);
        INDArray x = GradCheck.random(6, B * T, D).muli(3);
        INDArray in = x.dup();
        ModBlock.Saved saved = s.mod().forwardInPlace(x, B, T, ModBlock.Choice.PREDICTOR, false, null);
        int[] count = new int[B];
        for (int row = 0; row < B * T; row++) {
            boolean chosen = saved.z()[row] > 0;
            count[row / T] += chosen ? 1 : 0;
            assertEquals(!chosen, in.getRow(row).equals(x.getRow(row)), "row " + row + " changes iff the predictor picks it");
        }
        assertTrue(count[0] + count[1] > 0 && count[0] + count[1] < B * T, "a mixed choice: " + count[0] + ", " + count[1]);
        assertEquals(Math.max(count[0], count[1]), s.block().len);
    }
}
