package dev.ponder.core.model;

import dev.ponder.core.halting.HaltingGate;
import dev.ponder.core.metrics.Histogram;
import dev.ponder.core.metrics.PhaseTimer;
import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.nn.Embedding;
import dev.ponder.core.nn.Fwd;
import dev.ponder.core.nn.LmHead;
import dev.ponder.core.params.ParamRegistry;
import dev.ponder.core.routing.MutualInformationLoss;
import dev.ponder.core.routing.Routing;
import dev.ponder.core.tensor.StepWorkspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sparse Universal Transformer (Tan et al. 2023; MODELS.md section 2) as a causal LM:
 * x = Emb(tokens); one shared {@link SutLayer} applied up to L = n_layers times with per-token
 * stick-breaking halting ({@link SutRecurrence}); logits = lm_head(out_norm(s_L)) with bias.
 *
 * <p>Training loss = CE + act_loss x ACT + mi_loss x (MI_attention + MI_ffn):
 * ACT = mean over tokens of D_L + Pi_L (L - 1) ({@link dev.ponder.core.halting.StickBreaking});
 * MI per MoE module over all its routed rows of the batch, weighted by the halting mask
 * ({@link MutualInformationLoss}: -MI by default, the reference's sign with
 * mi_loss_reference_sign). Scalars: "act_loss", "mi_attention", "mi_ffn" (coefficients applied),
 * "expected_depth" (ACT + 1: expected layer applications), "mean_depth" (applications run),
 * "executed_macs_per_token" and "analytic_macs_per_token" (tau = 1).
 *
 * <p>Per-token compute ({@link #drainComputeHistograms()}): "depth" (layer applications each
 * token ran) and "flops" (2 x the forward multiply-adds run on its behalf: halting gate, routers,
 * query/output experts, attention over the keys computed, its key/value rewrites, FFN experts;
 * embedding and LM head excluded, MODELS.md section 6). Expert load: RoutingStats keyed by
 * "layer.attention" / "layer.ffn" and the step index (0-based); halted tokens count as 0 experts.
 *
 * <p>Parameters: embedding.weight (N(0, 1/sqrt(d))), layer.halt.* ({@link HaltingGate}), layer.ln1,
 * layer.attention.*, layer.ln2, layer.ffn.*, out_norm, lm_head.{weight,bias} (U(+-1/sqrt(d))).
 */
public final class SutLm extends AbstractLm implements TrainingModeEval {
    private final SutSettings ss;
    private final LmEnds ends;
    private final SutLayer layer;
    private final SutRecurrence recurrence;
    private final Map<String, Histogram> compute = new LinkedHashMap<>();

    public SutLm(ModelConfig config, long seed, DataType dtype) {
        super(config, "sut");
        this.ss = config.sut();
        ParamRegistry reg = new ParamRegistry();
        LmEnds.Builder endsBuilder = LmEnds.register(reg, config);          // embedding.weight first
        HaltingGate gate = new HaltingGate(reg, "layer.halt", config.dModel());
        this.layer = new SutLayer(reg, "layer", config);
        this.ends = endsBuilder.outNorm().uniformHead().build();
        build(reg, dtype, seed);
        this.recurrence = new SutRecurrence(layer, gate, config.nLayers());
    }

    /** The auxiliary losses of a forward pass (coefficients applied) and the MI gradients. */
    private record Aux(double act, MutualInformationLoss.Result att, MutualInformationLoss.Result ffn) {
        double total() {
            return act + (att == null ? 0 : att.loss()) + (ffn == null ? 0 : ffn.loss());
        }
    }

    private Aux auxiliary(SutRecurrence.Trace tr) {
        double act = ss.actLoss() * tr.halting().actValue();
        if (ss.miLoss() == 0) {
            return new Aux(act, null, null);
        }
        List<double[]> pa = new ArrayList<>();
        List<double[]> pf = new ArrayList<>();
        List<double[]> w = new ArrayList<>();
        for (SutRecurrence.Step st : tr.steps()) {
            if (st.ran()) {
                pa.add(st.layer().att().router().select().probs());
                pf.add(st.layer().ffn().router().select().probs());
                w.add(st.mask());
            }
        }
        DataType dt = params().dataType();
        return new Aux(act,
                MutualInformationLoss.compute(pa, w, ss.attNExperts(), ss.miLoss(), ss.miLossReferenceSign(), dt),
                MutualInformationLoss.compute(pf, w, ss.ffNExperts(), ss.miLoss(), ss.miLossReferenceSign(), dt));
    }

    /** The MI gradients of one module laid out per step index (null for steps that did not run). */
    private SutRecurrence.Mi perStep(SutRecurrence.Trace tr, MutualInformationLoss.Result r) {
        if (r == null) {
            return SutRecurrence.Mi.NONE;
        }
        int steps = tr.steps().length;
        INDArray[] logits = new INDArray[steps];
        double[][] weights = new double[steps][];
        int part = 0;
        for (int l = 1; l <= steps; l++) {
            if (tr.steps()[l - 1].ran()) {
                logits[l - 1] = r.dLogits().get(part);
                weights[l - 1] = l == 1 ? null : r.dWeights().get(part);      // m_1 = 1 is a constant
                part++;
            }
        }
        return new SutRecurrence.Mi(logits, weights);
    }

    @Override
    public StepStats forwardBackward(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            long t0 = PhaseTimer.start();
            Fwd<Embedding.Saved> emb = ends.embed(w.inputs());
            PhaseTimer.stop("embedding", t0);
            SutRecurrence.Trace tr = recurrence.forward(emb.out(), batch, w.seqLen(), ss.haltingThreshold(), true);
            record(tr, batch, w.seqLen());
            Aux aux = auxiliary(tr);
            t0 = PhaseTimer.start();
            LmHead.Result ce = ends.lossAndGrad(tr.out(), w.targets(), 1.0 / n);
            INDArray dOut = ce.dx();                                         // [B*T, d]
            PhaseTimer.stop("lm_head", t0);
            INDArray dEmb = recurrence.backward(tr, dOut, ss.actLoss(), perStep(tr, aux.att()), perStep(tr, aux.ffn()));
            t0 = PhaseTimer.start();
            ends.embedBackward(emb.saved(), dEmb);
            PhaseTimer.stop("embedding", t0);
            double ceLoss = ce.lossSum() / n;
            return new StepStats(ceLoss, aux.total(), ceLoss + aux.total(), n, scalars(tr, aux, w.seqLen()));
        }
    }

    /**
     * Forward only. With {@code trainingMode} the auxiliary losses are computed as in training and
     * returned as {@link EvalStats#auxLoss()}; otherwise auxLoss is 0 (the reference adds them in
     * training only). The scalars are reported either way.
     */
    @Override
    public EvalStats evaluate(int[] tokens, int batch, int seqLenPlusOne, boolean withLogits, boolean trainingMode) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        int n = w.inputs().length;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            SutRecurrence.Trace tr = recurrence.forward(ends.embed(w.inputs()).out(), batch, w.seqLen(),
                    ss.haltingThreshold(), false);
            record(tr, batch, w.seqLen());
            Aux aux = auxiliary(tr);
            long t0 = PhaseTimer.start();
            LmEnds.Scored s = ends.score(tr.out(), w, batch, withLogits);
            PhaseTimer.stop("lm_head", t0);
            double auxLoss = trainingMode ? aux.total() : 0.0;
            return new EvalStats(s.ceSum(), n, auxLoss, s.logits(), scalars(tr, aux, w.seqLen()));
        }
    }

    private Map<String, Double> scalars(SutRecurrence.Trace tr, Aux aux, int seqLen) {
        Map<String, Double> m = new LinkedHashMap<>();
        int n = tr.macsPerToken().length;
        double act = tr.halting().actValue();
        m.put("act_loss", aux.act());
        m.put("mi_attention", aux.att() == null ? 0.0 : aux.att().loss());
        m.put("mi_ffn", aux.ffn() == null ? 0.0 : aux.ffn().loss());
        m.put("expected_depth", act + 1);
        double depth = 0;
        double macs = 0;
        int[] dep = tr.halting().depth();
        for (int t = 0; t < n; t++) {
            depth += dep[t];
            macs += tr.macsPerToken()[t];
        }
        m.put("mean_depth", depth / n);
        putMacScalars(m, macs / n, seqLen);
        return m;
    }

    /** Expert load per step and the per-token depth and FLOPs of one forward pass. */
    private void record(SutRecurrence.Trace tr, int batch, int seqLen) {
        int n = batch * seqLen;
        RoutingStats add = RoutingStats.EMPTY;
        for (int l = 1; l <= tr.steps().length; l++) {
            SutRecurrence.Step st = tr.steps()[l - 1];
            add = add.merge(load("layer.attention", l - 1, st, st.ran() ? st.layer().att().routing() : null,
                    ss.attNExperts(), n)).merge(load("layer.ffn", l - 1, st,
                    st.ran() ? st.layer().ffn().routing() : null, ss.ffNExperts(), n));
        }
        routing = routing.merge(add);
        Histogram depth = compute.computeIfAbsent("depth", k -> Histogram.integers());
        Histogram flops = compute.computeIfAbsent("flops", k -> Histogram.exponential());
        int[] dep = tr.halting().depth();
        for (int t = 0; t < n; t++) {
            depth.add(dep[t]);
            flops.add(2.0 * tr.macsPerToken()[t]);
        }
    }

    /** One module at one step: slots per expert, and experts run per token (0 for halted tokens). */
    private static RoutingStats load(String module, int step, SutRecurrence.Step st, Routing r, int experts, int n) {
        int[] perToken = new int[n];
        int[] counts = new int[experts];
        if (r != null) {
            int[] perRow = r.routedPerRow();
            for (int i = 0; i < st.tokens().length; i++) {
                perToken[st.tokens()[i]] = perRow[i];
            }
            counts = r.counts();
        }
        return RoutingStats.of(module, step, counts, perToken, 1);
    }

    /**
     * For tests: the smallest distance, over a forward pass, between a halting decision's Pi_l and
     * 1 - tau (infinite at tau = 1), and between the k-th and (k+1)-th router probabilities of any
     * routed row. A finite-difference step that moves these by less changes no halting or routing.
     */
    double[] probeMargins(int[] tokens, int batch, int seqLenPlusOne) {
        Windows w = Windows.split(tokens, batch, seqLenPlusOne, config.contextLength());
        RoutingStats before = routing;
        try (StepWorkspace ignored = StepWorkspace.open()) {
            SutRecurrence.Trace tr = recurrence.forward(ends.embed(w.inputs()).out(), batch, w.seqLen(),
                    ss.haltingThreshold(), false);
            double halt = Double.POSITIVE_INFINITY;
            double route = Double.POSITIVE_INFINITY;
            for (SutRecurrence.Step st : tr.steps()) {
                if (st.halt() != null && ss.haltingThreshold() < 1) {
                    for (int t : st.halt().prevActive()) {
                        double pi = st.halt().piPrev()[t] * (1 - st.halt().alpha()[t]);
                        halt = Math.min(halt, Math.abs(pi - (1 - ss.haltingThreshold())));
                    }
                }
                if (st.ran()) {
                    route = Math.min(route, topKGap(st.layer().att().router().select().probs(), ss.attNExperts(), ss.attK()));
                    route = Math.min(route, topKGap(st.layer().ffn().router().select().probs(), ss.ffNExperts(), ss.ffK()));
                }
            }
            routing = before;
            return new double[] {halt, route};
        }
    }

    private static double topKGap(double[] p, int e, int k) {
        if (k == e) {
            return Double.POSITIVE_INFINITY;
        }
        double m = Double.POSITIVE_INFINITY;
        for (int from = 0; from < p.length; from += e) {
            double[] row = java.util.Arrays.copyOfRange(p, from, from + e);
            java.util.Arrays.sort(row);
            m = Math.min(m, row[e - k] - row[e - k - 1]);
        }
        return m;
    }

    @Override
    public Map<String, Histogram> drainComputeHistograms() {
        Map<String, Histogram> out = new LinkedHashMap<>(compute);
        compute.clear();
        return out;
    }

    @Override
    public long analyticMacsPerToken(int seqLen) {
        return FlopCount.sutMacsPerToken(config, seqLen);
    }
}
