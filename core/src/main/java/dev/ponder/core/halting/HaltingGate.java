package dev.ponder.core.halting;

import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.nn.Activation;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.Linear;
import dev.ponder.core.params.Init;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.HostArrays;
import dev.ponder.core.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SUT's halting gate (MODELS.md section 2; the reference ACTWrapper's {@code _gate}):
 * Linear(d, d) -> GELU -> Linear(d, 2, no bias) -> log-softmax = (log(1 - alpha), log alpha) per row.
 * The last layer starts at zero, so every token starts with alpha = 1/2.
 *
 * <p>Parameters "{name}.hidden.weight" [d, d], "{name}.hidden.bias" [d] (PyTorch's default
 * U(+-1/sqrt(d))) and "{name}.out.weight" [2, d] (zeros). The two log-probabilities leave on the
 * host: the stick-breaking recurrence ({@link StickBreaking}) is per-token scalar work.
 */
public final class HaltingGate {
    private final String name;
    private final int dim;
    private final Linear hidden;
    private final Linear out;

    public HaltingGate(ParamRegistry reg, String name, int dim) {
        this.name = name;
        this.dim = dim;
        Init u = Init.uniform(1.0 / Math.sqrt(dim));
        this.hidden = new Linear(name + ".hidden", reg.add(name + ".hidden.weight", u, dim, dim),
                reg.add(name + ".hidden.bias", u, false, dim));
        this.out = new Linear(name + ".out", reg.add(name + ".out.weight", Init.zeros(), 2, dim), null);
    }

    /** log(1 - alpha) and log(alpha) per row, and what backward needs. */
    public record Result(double[] logStay, double[] logHalt, Saved saved) {}

    public record Saved(Linear.Saved hidden, INDArray geluInput, Linear.Saved out, double[] alpha) {}

    /** x [N, d] -> log-probabilities of continuing and of halting, per row. */
    public Result forward(INDArray x) {
        int n = (int) Shapes.requireCols(x, name + " input", dim);
        long t = PhaseTimer.start();
        Fwd<Linear.Saved> h = hidden.forward(x);                        // [N, d] x [d, d] -> [N, d]
        Activation.Result a = Activation.GELU.forward(h.out());
        Fwd<Linear.Saved> z = out.forward(a.out());                     // [N, d] x [d, 2] -> [N, 2]
        double[] logits = HostArrays.read(z.out());
        double[] logStay = new double[n];
        double[] logHalt = new double[n];
        double[] alpha = new double[n];
        for (int i = 0; i < n; i++) {
            double z0 = logits[2 * i];
            double z1 = logits[2 * i + 1];
            double max = Math.max(z0, z1);
            double lse = max + Math.log(Math.exp(z0 - max) + Math.exp(z1 - max));
            logStay[i] = z0 - lse;
            logHalt[i] = z1 - lse;
            alpha[i] = Math.exp(logHalt[i]);
        }
        PhaseTimer.stop("halting", t);
        return new Result(logStay, logHalt, new Saved(h.saved(), a.saved(), z.saved(), alpha));
    }

    /**
     * dAlpha [N] (gradient of the loss with respect to alpha of each row) -> dx [N, d]; accumulates
     * the gate's weight gradients. alpha = softmax(z)[1], so dz1 = -dz0 = dAlpha alpha (1 - alpha).
     */
    public INDArray backward(Saved s, double[] dAlpha) {
        long t = PhaseTimer.start();
        int n = dAlpha.length;
        double[] dz = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double a = s.alpha()[i];
            double g = dAlpha[i] * a * (1 - a);
            dz[2 * i] = -g;
            dz[2 * i + 1] = g;
        }
        INDArray dLogits = HostArrays.create(dz, s.geluInput().dataType(), n, 2);
        INDArray dAct = out.backward(s.out(), dLogits);                  // [N, d]
        Activation.GELU.backwardInPlace(s.geluInput(), dAct);
        INDArray dx = hidden.backward(s.hidden(), dAct);
        PhaseTimer.stop("halting", t);
        return dx;
    }

    /** Forward multiply-adds per row: d d + 2 d. */
    public long macsPerRow() {
        return (long) dim * dim + 2L * dim;
    }
}
