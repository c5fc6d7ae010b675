package dev.ponder.core.model;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.Param;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.routing.RowGather;
import dev.ponder.core.routing.TopC;
import dev.ponder.core.tensor.Ops;
import dev.ponder.core.tensor.Rng;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mixture-of-Depths around one block application (Raposo et al. 2024; MODELS.md section 4):
 * <ol>
 *   <li>router r_i = w . x_i for every token [B*T];</li>
 *   <li>selection: in training the top C = round(capacity T) tokens of each sequence by r; at
 *       causal inference the tokens the {@link ModPredictor} says are in the top C;</li>
 *   <li>the selected rows are gathered into B subsequences in position order and the wrapped
 *       {@link ResidualBlock} runs on them alone: attention among the selected tokens (RoPE at
 *       their original positions), then the FFN, over B*C rows instead of B*T;</li>
 *   <li>x_i += s(r_i) f(x~)_i for selected tokens, where f is the block's update and s the router
 *       scale (r itself by default, so the router learns through it); the others skip the block.</li>
 * </ol>
 * Parameters "{name}.router.weight" [1, d] ~ N(0, 1/sqrt(d)) and the predictor's "{name}.predictor.*".
 *
 * <p>Backward, with g the output gradient of a selected row: d delta = s g, ds = g . delta; the
 * block's own backward maps s g to s g + J^T (s g), so J^T (s g) is its result minus s g; the
 * router adds ds s'(r) w to the row and ds s'(r) x~ to w's gradient. The selection itself is a
 * constant of the forward pass (top-C has no gradient, as in the paper).
 */
final class ModBlock {
    /** How a forward selects its tokens. */
    enum Choice { TOP_C, PREDICTOR }

    private final ResidualBlock block;
    private final Param router;
    private final ModPredictor predictor;
    private final ModSettings settings;

    ModBlock(ParamRegistry reg, String name, ResidualBlock block, int dim, ModSettings settings) {
        this.block = block;
        this.settings = settings;
        this.router = reg.add(name + ".router.weight", Init.normal(1.0 / Math.sqrt(dim)), 1, dim);
        this.predictor = new ModPredictor(reg, name + ".predictor", dim, settings.predictorHidden());
    }

    ResidualBlock block() {
        return block;
    }

    /**
     * The rows a block ran on: B subsequences of {@code len} rows; row i came from x's row src[i],
     * sits at position positions[i] of its sequence and is added back to row dst[i] (-1: padding,
     * discarded). {@code selected} counts the non-padding rows.
     */
    record Selection(int len, int[] src, int[] dst, int[] positions, int selected) {}

    /**
     * One application's record: the router outputs r [B*T] and predictor logits z [B*T] (host),
     * top-C membership of each token, the selection (null: no token selected, the block did not
     * run), the block input rows x~ [B*len, d], its update f(x~) [B*len, d], the scales s [B*len, 1]
     * (0 on padding) and the block's and the predictor's records.
     */
    record Saved(int batch, int seqLen, double[] r, double[] z, boolean[] topC, Selection selection, INDArray xSel,
                 INDArray delta, INDArray scale, double[] scaleHost, ResidualBlock.Saved block,
                 ModPredictor.Saved predictor) {
        /** Predictor BCE against top-C membership (unscaled). */
        double bce() {
            return ModPredictor.bce(z, topC);
        }

        /** Tokens whose predictor decision (z > 0) agrees with top-C membership. */
        long agreements() {
            long a = 0;
            for (int i = 0; i < z.length; i++) {
                a += (z[i] > 0) == topC[i] ? 1 : 0;
            }
            return a;
        }

        /** Top-C tokens the predictor also picks. */
        long truePositives() {
            long a = 0;
            for (int i = 0; i < z.length; i++) {
                a += z[i] > 0 && topC[i] ? 1 : 0;
            }
            return a;
        }
    }

    /** x [B*T, d] is updated in place. */
    Saved forwardInPlace(INDArray x, int batch, int t, Choice choice, boolean training, Rng rng) {
        int n = batch * t;
        int d = (int) x.size(1);
        long t0 = PhaseTimer.start();
        double[] r = HostArrays.read(Ops.mm(x, router.value(), false, true)); // [N, d] x [d, 1] -> [N, 1]
        Fwd<ModPredictor.Saved> p = predictor.forward(x.dup());            // a copy: x changes below (stop-gradient)
        double[] z = HostArrays.read(p.out());
        int[] top = TopC.select(r, batch, t, TopC.capacity(settings.capacity(), t));
        boolean[] topC = TopC.membership(top, n);
        Selection sel = choice == Choice.TOP_C ? fromRows(top, batch, t) : fromPredictor(z, batch, t);
        t0 = PhaseTimer.stop("mod_router", t0);
        if (sel == null) {
            return new Saved(batch, t, r, z, topC, null, null, null, null, null, null, p.saved());
        }
        int rows = batch * sel.len();
        INDArray xSel = Nd4j.createUninitialized(x.dataType(), rows, d);
        RowGather.gather(x, sel.src(), xSel);                               // [B*len, d]
        INDArray y = xSel.dup();
        PhaseTimer.stop("mod_gather_scatter", t0);
        // every token selected (capacity 1): the positions are 0..T-1, the blocks' default path
        int[] positions = sel.selected() == n ? null : sel.positions();
        ResidualBlock.Saved bs = block.forwardInPlace(y, batch, sel.len(), positions, training, rng);
        t0 = PhaseTimer.start();
        INDArray delta = y.subi(xSel);                                      // f(x~) [B*len, d]; nothing saved aliases y
        double[] s = new double[rows];
        for (int i = 0; i < rows; i++) {
            s[i] = sel.dst()[i] < 0 ? 0.0 : scale(r[sel.src()[i]]);
        }
        INDArray scale = HostArrays.create(s, x.dataType(), rows, 1);
        RowGather.addRows(delta.mulColumnVector(scale), sel.dst(), x);     // x[dst] += s f(x~)
        PhaseTimer.stop("mod_gather_scatter", t0);
        return new Saved(batch, t, r, z, topC, sel, xSel, delta, scale, s, bs, p.saved());
    }

    /** dx [B*T, d] (gradient at the output) becomes the gradient at the input, in place. */
    INDArray backwardInPlace(Saved s, INDArray dx, ResidualBlock.RouterLogitGrads extra) {
        long t0 = PhaseTimer.start();
        if (settings.predictorLoss() > 0) {
            predictor.backward(s.predictor(), s.z(), s.topC(), settings.predictorLoss());
        }
        t0 = PhaseTimer.stop("mod_router", t0);
        Selection sel = s.selection();
        if (sel == null) {
            return dx;                                                      // identity: every token skipped
        }
        int rows = s.xSel().rows();
        INDArray g = Nd4j.createUninitialized(dx.dataType(), rows, dx.size(1));
        RowGather.gather(dx, sel.src(), g);                                 // [B*len, d]
        INDArray gu = g.mulColumnVector(s.scale());                         // d loss / d f(x~)
        double[] ds = HostArrays.read(g.muli(s.delta()).sum(1));            // d loss / d s_i = g_i . f_i
        INDArray bx = gu.dup();
        PhaseTimer.stop("mod_gather_scatter", t0);
        block.backwardInPlace(s.block(), bx, extra);                        // gu + J^T gu (+ the block's aux grads)
        t0 = PhaseTimer.start();
        bx.subi(gu);
        double[] dr = new double[rows];
        boolean any = false;
        for (int i = 0; i < rows; i++) {
            dr[i] = sel.dst()[i] < 0 ? 0.0 : ds[i] * scaleGrad(s.r()[sel.src()[i]], s.scaleHost()[i]);
            any |= dr[i] != 0;
        }
        if (any) {
            INDArray drArr = HostArrays.create(dr, dx.dataType(), rows, 1);
            Ops.gemm(drArr, s.xSel(), router.grad(), true, false, 1.0, 1.0);  // [1, B*len] x [B*len, d] -> [1, d]
            Ops.gemm(drArr, router.value(), bx, false, false, 1.0, 1.0);      // [B*len, 1] x [1, d] -> [B*len, d]
        }
        RowGather.addRows(bx, sel.dst(), dx);
        PhaseTimer.stop("mod_gather_scatter", t0);
        return dx;
    }

    /** Forward multiply-adds per token of the router and the predictor (run on every token). */
    long routingMacsPerToken() {
        return router.size(1) + predictor.macsPerToken();
    }

    private double scale(double r) {
        return switch (settings.routerScale()) {
            case "linear" -> r;
            case "sigmoid" -> ModPredictor.sigmoid(r);
            default -> 1.0;
        };
    }

    /** ds/dr given r and s = scale(r). */
    private double scaleGrad(double r, double s) {
        return switch (settings.routerScale()) {
            case "linear" -> 1.0;
            case "sigmoid" -> s * (1 - s);
            default -> 0.0;
        };
    }

    /** Top-C rows (ascending within each sequence) as a selection without padding. */
    static Selection fromRows(int[] rows, int batch, int t) {
        int[] pos = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            pos[i] = rows[i] % t;
        }
        return new Selection(rows.length / batch, rows, rows, pos, rows.length);
    }

    /**
     * The tokens with predictor logit > 0 (probability > 1/2), a number that varies per sequence:
     * each subsequence is padded at its end to the longest one. Padding rows come after every real
     * row, so under the causal mask no real row attends to them, and they are not added back. Null
     * when no token is selected.
     */
    static Selection fromPredictor(double[] z, int batch, int t) {
        int[] count = new int[batch];
        int len = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                count[b] += z[b * t + i] > 0 ? 1 : 0;
            }
            len = Math.max(len, count[b]);
        }
        if (len == 0) {
            return null;
        }
        int[] src = new int[batch * len];
        int[] dst = new int[batch * len];
        int[] pos = new int[batch * len];
        int selected = 0;
        for (int b = 0; b < batch; b++) {
            int j = b * len;
            for (int i = 0; i < t; i++) {
                if (z[b * t + i] > 0) {
                    src[j] = b * t + i;
                    dst[j] = b * t + i;
                    pos[j++] = i;
                    selected++;
                }
            }
            for (; j < (b + 1) * len; j++) {
                src[j] = b * t + t - 1;                                      // any valid row; never added back
                dst[j] = -1;
                pos[j] = t - 1;
            }
        }
        return new Selection(len, src, dst, pos, selected);
    }
}
