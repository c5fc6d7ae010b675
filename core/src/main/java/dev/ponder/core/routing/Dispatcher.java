package dev.ponder.core.routing;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.tensor.Shapes;
import dev.ponder.core.tensor.StepWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sparse dispatch of a linear expert layer, out[o] = sum over slots s writing row o of
 * gate_s * input[in_s] W[e_s], in named steps:
 * <ol>
 *   <li>sort: {@link DispatchPlan} (counting sort of the slots by expert, done by the caller once);</li>
 *   <li>gather: the input rows of all routed slots, in expert order, [S, a];</li>
 *   <li>compute: one gemm per expert over its contiguous rows ({@link ExpertMatmul});</li>
 *   <li>combine: each output row sums its gated slot outputs (a gather-sum; see {@link RowGather}).</li>
 * </ol>
 * Backward runs the same steps in reverse and gives the gradients of the input, of the gates and
 * (accumulated) of the expert weights. Only routed slots are gathered and multiplied.
 *
 * <p>The gate multiplies whichever side of the product is narrower (y = (g x) W when a <= b, else
 * y = g (x W)): the same result, with the scaling, the saved array and the gate gradient's row dot
 * on the smaller matrix. The slow per-slot reference is {@link DispatchReference}.
 */
public final class Dispatcher {
    private Dispatcher() {}

    /** The gathered input, the unscaled narrow output when the gate sits on the output side, and the MACs run. */
    public record Saved(DispatchPlan plan, INDArray gathered, INDArray unscaledOut, long macs) {}

    /** Input and gate gradients of a dispatch (gates in the routing's [R, k] layout). */
    public record Grads(INDArray dInput, INDArray dGates) {}

    /** input [inRows, a], w [E, a, b] -> out [outRows, b]. */
    public static Fwd<Saved> forward(DispatchPlan plan, INDArray input, INDArray w) {
        Shapes.require(input, "dispatch input", plan.inRows(), w.size(1));
        int a = (int) w.size(1);
        int b = (int) w.size(2);
        INDArray out = Nd4j.createUninitialized(input.dataType(), plan.outRows(), b);
        if (plan.size() == 0) {
            return new Fwd<>(out.assign(0), new Saved(plan, null, null, 0));
        }
        long t = PhaseTimer.start();
        INDArray xs = gather(plan, input);                                     // [S, a]
        t = PhaseTimer.stop("gather", t);
        INDArray unscaled = a <= b ? null : Nd4j.createUninitialized(input.dataType(), plan.size(), b);
        long macs;
        try (StepWorkspace scratch = StepWorkspace.scratch()) {               // gated temporaries die here
            INDArray y;
            if (a <= b) {
                INDArray xg = xs.mulColumnVector(plan.gateColumn());           // [S, a] gated rows
                y = Nd4j.createUninitialized(input.dataType(), plan.size(), b);
                t = PhaseTimer.stop("expert_elementwise", t);
                macs = ExpertMatmul.forward(xg, w, plan.offsets(), y, false);  // [S, a] x [a, b] per expert -> [S, b]
                t = PhaseTimer.stop("expert_gemm", t);
            } else {
                macs = ExpertMatmul.forward(xs, w, plan.offsets(), unscaled, false);
                t = PhaseTimer.stop("expert_gemm", t);
                y = unscaled.mulColumnVector(plan.gateColumn());               // [S, b] gated
                t = PhaseTimer.stop("expert_elementwise", t);
            }
            combine(plan, y, out);
            PhaseTimer.stop("combine", t);
        }
        return new Fwd<>(out, new Saved(plan, xs, unscaled, macs));
    }

    /** dOut [outRows, b] -> input and gate gradients; dw [E, a, b] += the weight gradient. */
    public static Grads backward(Saved s, INDArray w, INDArray dw, INDArray dOut) {
        DispatchPlan plan = s.plan();
        int a = (int) w.size(1);
        INDArray dInput = Nd4j.createUninitialized(dOut.dataType(), plan.inRows(), a);
        if (plan.size() == 0) {
            return new Grads(dInput.assign(0), plan.toSlotLayout(new double[0]));
        }
        long t = PhaseTimer.start();
        INDArray dy = gatherOutputGrad(plan, dOut);                            // [S, b] dL/d(gated slot output)
        t = PhaseTimer.stop("gather", t);
        INDArray dxs = Nd4j.createUninitialized(dOut.dataType(), plan.size(), a);
        INDArray dGate;
        if (s.unscaledOut() == null) {
            // y = (g x) W: dx_unscaled = dy W^T, dg = <dx_unscaled, x>, dW += (g x)^T dy
            ExpertMatmul.forward(dy, w, plan.offsets(), dxs, true);            // [S, b] x [b, a] -> [S, a]
            t = PhaseTimer.stop("expert_gemm", t);
            dGate = rowDot(dxs, s.gathered());
            INDArray xg = s.gathered().mulColumnVector(plan.gateColumn());
            t = PhaseTimer.stop("expert_elementwise", t);
            ExpertMatmul.accumulateWeightGrad(xg, dy, plan.offsets(), dw);     // [a, S] x [S, b] -> [a, b]
            t = PhaseTimer.stop("expert_gemm", t);
            dxs.muliColumnVector(plan.gateColumn());
            t = PhaseTimer.stop("expert_elementwise", t);
        } else {
            // y = g (x W): dg = <dy, x W>, dW += x^T (g dy), dx = (g dy) W^T
            dGate = rowDot(dy, s.unscaledOut());
            dy.muliColumnVector(plan.gateColumn());
            t = PhaseTimer.stop("expert_elementwise", t);
            ExpertMatmul.accumulateWeightGrad(s.gathered(), dy, plan.offsets(), dw);
            ExpertMatmul.forward(dy, w, plan.offsets(), dxs, true);
            t = PhaseTimer.stop("expert_gemm", t);
        }
        combineInputGrad(plan, dxs, dInput);
        PhaseTimer.stop("combine", t);
        return new Grads(dInput, plan.toSlotLayout(HostArrays.read(dGate)));
    }

    /** Step "gather": input rows of the routed slots in expert order, [S, c]. */
    public static INDArray gather(DispatchPlan plan, INDArray input) {
        INDArray xs = Nd4j.createUninitialized(input.dataType(), plan.size(), input.size(1));
        RowGather.gather(input, plan.inRow(), xs);
        return xs;
    }

    /** Step "combine": out[o] = sum of the (already gated) slot rows that write row o. */
    public static void combine(DispatchPlan plan, INDArray slotRows, INDArray out) {
        RowGather.gatherSum(slotRows, plan.outGroups(), out);
    }

    /** Backward of combine: each slot's gradient is the gradient of the output row it wrote, [S, c]. */
    public static INDArray gatherOutputGrad(DispatchPlan plan, INDArray dOut) {
        INDArray dy = Nd4j.createUninitialized(dOut.dataType(), plan.size(), dOut.size(1));
        RowGather.gather(dOut, plan.outRow(), dy);
        return dy;
    }

    /** Backward of gather: dInput[i] = sum of the gradients of the slots that read row i. */
    public static void combineInputGrad(DispatchPlan plan, INDArray dSlotRows, INDArray dInput) {
        RowGather.gatherSum(dSlotRows, plan.inGroups(), dInput);
    }

    /** Row-wise dot products of two [S, c] arrays -> [S]. */
    static INDArray rowDot(INDArray a, INDArray b) {
        return a.mul(b).sum(1);
    }
}
