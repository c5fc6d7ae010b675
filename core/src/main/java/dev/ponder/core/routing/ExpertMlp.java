package dev.ponder.core.routing;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.tensor.Shapes;
import dev.ponder.core.tensor.StepWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sparse dispatch of two-layer experts (σ-MoE and classic MoE feed-forwards):
 * out[o] = sum over slots s writing row o of gate_s * act(x[in_s] W1[e_s]) W2[e_s], with
 * W1 [E, d, m] and W2 [E, m, d], through the {@link Dispatcher}'s steps (gather, one gemm per expert
 * and layer, combine). The gate scales the hidden rows (m is the narrow side), so the gate gradient
 * is a row dot over m and only the gathered input and the activated hidden rows are saved.
 *
 * <p>Optional per-expert biases (SUT's experts): b1 [E, m] is added before the activation and b2
 * [E, d] to each expert's output before the gate, g_j (act(x W1[e] + b1[e]) W2[e] + b2[e]). The
 * bias rows are gathered per routed slot, and their gradients summed per expert, with the same
 * row moves as the dispatch (no per-expert ops).
 */
public final class ExpertMlp {
    private ExpertMlp() {}

    /** Gathered input [S, d], activated hidden [S, m] (ungated), the activation's saved array, MACs run. */
    public record Saved(DispatchPlan plan, INDArray gathered, INDArray hidden, INDArray actSaved, long macs,
                        INDArray outBias) {
        public Saved(DispatchPlan plan, INDArray gathered, INDArray hidden, INDArray actSaved, long macs) {
            this(plan, gathered, hidden, actSaved, macs, null);
        }
    }

    /** x [inRows, d] -> out [outRows, d]. */
    public static Fwd<Saved> forward(DispatchPlan plan, INDArray x, INDArray w1, INDArray w2, Activation act) {
        return forward(plan, x, w1, null, w2, null, act);
    }

    /** x [inRows, d] -> out [outRows, d] with expert biases b1 [E, m] and b2 [E, d] (either may be null). */
    public static Fwd<Saved> forward(DispatchPlan plan, INDArray x, INDArray w1, INDArray b1, INDArray w2,
                                     INDArray b2, Activation act) {
        Shapes.require(x, "expert mlp input", plan.inRows(), w1.size(1));
        int m = (int) w1.size(2);
        int dOut = (int) w2.size(2);
        INDArray out = Nd4j.createUninitialized(x.dataType(), plan.outRows(), dOut);
        if (plan.size() == 0) {
            return new Fwd<>(out.assign(0), new Saved(plan, null, null, null, 0));
        }
        long t = PhaseTimer.start();
        INDArray xs = Dispatcher.gather(plan, x);                                // [S, d]
        t = PhaseTimer.stop("gather", t);
        INDArray h = Nd4j.createUninitialized(x.dataType(), plan.size(), m);
        long macs = ExpertMatmul.forward(xs, w1, plan.offsets(), h, false);      // [S, d] x [d, m] -> [S, m]
        t = PhaseTimer.stop("expert_gemm", t);
        int[] expertOf = b1 != null || b2 != null ? expertOfPosition(plan) : null;
        if (b1 != null) {
            h.addi(biasRows(b1, expertOf));                                      // [S, m] += b1[e of row]
        }
        INDArray outBias = b2 == null ? null : biasRows(b2, expertOf);           // [S, d] ungated b2 rows
        Activation.Result a = act.forward(h);
        t = PhaseTimer.stop("expert_elementwise", t);
        try (StepWorkspace scratch = StepWorkspace.scratch()) {                 // hg and y die here; out survives
            INDArray hg = a.out().mulColumnVector(plan.gateColumn());            // [S, m] gated
            INDArray y = Nd4j.createUninitialized(x.dataType(), plan.size(), dOut);
            t = PhaseTimer.stop("expert_elementwise", t);
            macs += ExpertMatmul.forward(hg, w2, plan.offsets(), y, false);      // [S, m] x [m, d] -> [S, d]
            t = PhaseTimer.stop("expert_gemm", t);
            if (outBias != null) {
                y.addi(outBias.mulColumnVector(plan.gateColumn()));              // + g b2[e]
            }
            Dispatcher.combine(plan, y, out);
            PhaseTimer.stop("combine", t);
        }
        return new Fwd<>(out, new Saved(plan, xs, a.out(), a.saved(), macs, outBias));
    }

    /** dOut [outRows, d] -> input and gate gradients; dw1, dw2 += the weight gradients. */
    public static Dispatcher.Grads backward(Saved s, INDArray w1, INDArray dw1, INDArray w2, INDArray dw2,
                                            Activation act, INDArray dOut) {
        return backward(s, w1, dw1, null, w2, dw2, null, act, dOut);
    }

    /** As above, also accumulating the expert bias gradients db1 [E, m] and db2 [E, d] (null when absent). */
    public static Dispatcher.Grads backward(Saved s, INDArray w1, INDArray dw1, INDArray db1, INDArray w2,
                                            INDArray dw2, INDArray db2, Activation act, INDArray dOut) {
        DispatchPlan plan = s.plan();
        INDArray dx = Nd4j.createUninitialized(dOut.dataType(), plan.inRows(), w1.size(1));
        if (plan.size() == 0) {
            return new Dispatcher.Grads(dx.assign(0), plan.toSlotLayout(new double[0]));
        }
        long t = PhaseTimer.start();
        INDArray dy = Dispatcher.gatherOutputGrad(plan, dOut);                   // [S, d]
        t = PhaseTimer.stop("gather", t);
        INDArray dh = Nd4j.createUninitialized(dOut.dataType(), plan.size(), w1.size(2));
        ExpertMatmul.forward(dy, w2, plan.offsets(), dh, true);                  // [S, d] x [d, m] -> [S, m], ungated
        t = PhaseTimer.stop("expert_gemm", t);
        INDArray dGate = Dispatcher.rowDot(dh, s.hidden());                     // d(gate) = <dy W2^T, act(h)>
        if (s.outBias() != null) {
            dGate.addi(Dispatcher.rowDot(dy, s.outBias()));                      // + <dy, b2[e]>
            sumPerExpert(dy.mulColumnVector(plan.gateColumn()), plan, db2);      // db2[e] += sum of g dy
        }
        INDArray hg = s.hidden().mulColumnVector(plan.gateColumn());
        t = PhaseTimer.stop("expert_elementwise", t);
        ExpertMatmul.accumulateWeightGrad(hg, dy, plan.offsets(), dw2);          // [m, S] x [S, d] -> [m, d]
        t = PhaseTimer.stop("expert_gemm", t);
        dh.muliColumnVector(plan.gateColumn());
        act.backwardInPlace(s.actSaved(), dh);                                   // through the activation
        if (db1 != null) {
            sumPerExpert(dh, plan, db1);                                         // db1[e] += sum of its rows
        }
        t = PhaseTimer.stop("expert_elementwise", t);
        ExpertMatmul.accumulateWeightGrad(s.gathered(), dh, plan.offsets(), dw1); // [d, S] x [S, m] -> [d, m]
        INDArray dxs = Nd4j.createUninitialized(dOut.dataType(), plan.size(), w1.size(1));
        ExpertMatmul.forward(dh, w1, plan.offsets(), dxs, true);                 // [S, m] x [m, d] -> [S, d]
        t = PhaseTimer.stop("expert_gemm", t);
        Dispatcher.combineInputGrad(plan, dxs, dx);
        PhaseTimer.stop("combine", t);
        return new Dispatcher.Grads(dx, plan.toSlotLayout(HostArrays.read(dGate)));
    }

    /** The expert of each sorted position (positions of expert e are offsets[e] .. offsets[e + 1]). */
    private static int[] expertOfPosition(DispatchPlan plan) {
        int[] off = plan.offsets();
        int[] out = new int[plan.size()];
        for (int e = 0; e + 1 < off.length; e++) {
            java.util.Arrays.fill(out, off[e], off[e + 1], e);
        }
        return out;
    }

    /** Rows b[e of position] of a contiguous [E, c] bias, [S, c]. */
    private static INDArray biasRows(INDArray b, int[] expertOf) {
        INDArray rows = Nd4j.createUninitialized(b.dataType(), expertOf.length, b.size(1));
        RowGather.gather(b, expertOf, rows);
        return rows;
    }

    /** db [E, c] += the sum of the rows [S, c] of each expert (a gather-sum over the sorted positions). */
    private static void sumPerExpert(INDArray rows, DispatchPlan plan, INDArray db) {
        int[] identity = new int[plan.size()];
        for (int p = 0; p < identity.length; p++) {
            identity[p] = p;
        }
        INDArray sums = Nd4j.createUninitialized(rows.dataType(), db.size(0), db.size(1));
        RowGather.gatherSum(rows, new SlotSort.Sorted(identity, plan.offsets()), sums);
        db.addi(sums);
    }
}
