package dev.ponder.spark.train;

import dev.ponder.core.metrics.RoutingStats;
import dev.ponder.core.model.LanguageModel;
import dev.ponder.core.metrics.Histogram;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-token compute of training steps (MODELS.md section 5), gathered on the executors into a
 * {@link RoundResult} as exact counts and added by the driver to the round's last logged
 * metrics.jsonl record ({@code histograms}, {@code expert_load}, {@code compute/NAME} means),
 * which TensorBoard and the report read.
 *
 * <p>Depth needs no instrumentation where no token skips or halts (dense, moe, moeut: every
 * token runs all n_layers layers, repeats counted), and neither do the dense family's FLOPs (the
 * analytic count, the same for every token). Routed families report what they executed through
 * core's mergeable {@link RoutingStats} (expert load per module and repeat, experts executed per
 * token), drained from the model after every step. Families whose per-token compute varies
 * (halting depth, width, skipped blocks) report what each token executed through
 * {@link LanguageModel#drainComputeHistograms()}, drained the same way.
 */
final class ComputeStats {
    private ComputeStats() {}

    /** Forward FLOPs per token, MODELS.md section 6 convention: 2 x the analytic multiply-adds. */
    static double flopsPerToken(LanguageModel model, int seqLen) {
        return 2.0 * model.analyticMacsPerToken(seqLen);
    }

    private static final Set<String> EVERY_TOKEN_EVERY_LAYER = Set.of("dense", "moe", "moeut", "sharcs");

    /** Adds one step's {@code tokens} (and the routing the model recorded for them) to the round. */
    static void record(LanguageModel model, long tokens, int seqLen, RoundResult out) {
        addRouting(out, model.drainRoutingStats());
        tokenHistograms(model, tokens, seqLen).forEach((name, h) -> out.histograms.merge(name, h, Histogram::merge));
    }

    /**
     * The per-token compute of the forward passes since the last call ({@code tokens} tokens):
     * what the model recorded (its drained histograms), or the analytic value where every token
     * costs the same (depth of dense, moe and moeut; FLOPs of dense).
     */
    static Map<String, Histogram> tokenHistograms(LanguageModel model, long tokens, int seqLen) {
        Map<String, Histogram> out = new LinkedHashMap<>();
        String family = model.config().family();
        if (EVERY_TOKEN_EVERY_LAYER.contains(family)) {
            out.put("depth", Histogram.integers().add(model.config().nLayers(), tokens));
        }
        if (family.equals("dense") || family.equals("moeut")) {
            // Every token runs the same matmuls (MoEUT: always k experts per module, no capacity).
            out.put("flops", Histogram.exponential().add(flopsPerToken(model, seqLen), tokens));
        }
        model.drainComputeHistograms().forEach((name, h) -> out.merge(name, h, Histogram::merge));
        return out;
    }

    /** Adds routing statistics a replica drained from its model (merge by addition). */
    static void addRouting(RoundResult out, RoutingStats stats) {
        out.routing = out.routing.merge(stats);
    }

    /** The round's compute fields for its last metrics.jsonl record (empty when it gathered none). */
    static Map<String, Object> fields(RoundResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r.tokens > 0) {
            // The family's named scalars (mean depth, width, ...), token-weighted over the round.
            r.scalars.forEach((name, sum) -> m.put("compute/" + name, sum / r.tokens));
        }
        Map<String, Object> hs = new LinkedHashMap<>();
        r.histograms.forEach((name, h) -> hs.put(name, h.toValue().toMap()));
        if (!r.routing.isEmpty()) {
            // Experts executed per token, pooled over the routed modules: (token, module) pairs by count.
            Histogram experts = Histogram.integers();
            Map<String, Object> load = new LinkedHashMap<>();
            r.routing.loads().forEach((key, l) -> {
                long[] executed = l.executedPerToken();
                for (int j = 0; j < executed.length; j++) {
                    experts.add(j, executed[j]);
                }
                load.put(key.toString(), l.perExpert());
            });
            hs.put("experts", experts.toValue().toMap());
            m.put("expert_load", load);
        }
        if (!hs.isEmpty()) {
            m.put("histograms", hs);
        }
        return m;
    }
}
