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
 */
public final class ExpertMlp {
    private ExpertMlp() {}

    /** Gathered input [S, d], activated hidden [S, m] (ungated), the activation's saved array, MACs run. */
    public record Saved(DispatchPlan plan, INDArray gathered, INDArray hidden, INDArray actSaved, long macs) {}

    /** x [inRows, d] -> out [outRows, d]. */
    public static Fwd<Saved> forward(DispatchPlan plan, INDArray x, INDArray w1, INDArray w2, Activation act) {
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
        Activation.Result a = act.forward(h);
        t = PhaseTimer.stop("expert_elementwise", t);
        try (StepWorkspace scratch = StepWorkspace.scratch()) {                 // hg and y die here; out survives
            INDArray hg = a.out().mulColumnVector(plan.gateColumn());            // [S, m] gated
            INDArray y = Nd4j.createUninitialized(x.dataType(), plan.size(), dOut);
            t = PhaseTimer.stop("expert_elementwise", t);
            macs += ExpertMatmul.forward(hg, w2, plan.offsets(), y, false);      // [S, m] x [m, d] -> [S, d]
            t = PhaseTimer.stop("expert_gemm", t);
            Dispatcher.combine(plan, y, out);
            PhaseTimer.stop("combine", t);
        }
        return new Fwd<>(out, new Saved(plan, xs, a.out(), a.saved(), macs));
    }

    /** dOut [outRows, d] -> input and gate gradients; dw1, dw2 += the weight gradients. */
    public static Dispatcher.Grads backward(Saved s, INDArray w1, INDArray dw1, INDArray w2, INDArray dw2,
                                            Activation act, INDArray dOut) {
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
        INDArray hg = s.hidden().mulColumnVector(plan.gateColumn());
        t = PhaseTimer.stop("expert_elementwise", t);
        ExpertMatmul.accumulateWeightGrad(hg, dy, plan.offsets(), dw2);          // [m, S] x [S, d] -> [m, d]
        t = PhaseTimer.stop("expert_gemm", t);
        dh.muliColumnVector(plan.gateColumn());
        act.backwardInPlace(s.actSaved(), dh);                                   // through the activation
        t = PhaseTimer.stop("expert_elementwise", t);
        ExpertMatmul.accumulateWeightGrad(s.gathered(), dh, plan.offsets(), dw1); // [d, S] x [S, m] -> [d, m]
        INDArray dxs = Nd4j.createUninitialized(dOut.dataType(), plan.size(), w1.size(1));
        ExpertMatmul.forward(dh, w1, plan.offsets(), dxs, true);                 // [S, m] x [m, d] -> [S, d]
        t = PhaseTimer.stop("expert_gemm", t);
        Dispatcher.combineInputGrad(plan, dxs, dx);
        PhaseTimer.stop("combine", t);
        return new Dispatcher.Grads(dx, plan.toSlotLayout(HostArrays.read(dGate)));
    }
}
