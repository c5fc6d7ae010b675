package dev.ponder.spark.train;

import dev.ponder.core.metrics.HistogramValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compute side of an evaluation, for eval.json and {@code ponder eval}: the token-weighted
 * means of the model's evaluation scalars ({@code compute}), a summary of each per-token compute
 * histogram ({@code histograms}: tokens, mean, min, max), and for families that route widths
 * (SHARCS, whose scalars width_tokens/w, width_ce/w, width_flops/w, width_windows/w and
 * router_correct / router_rows are per-batch totals divided by the batch's tokens) one row per
 * width: windows routed to it, tokens predicted at it, their loss, perplexity and inference FLOPs
 * per token, and the router's accuracy against its labels.
 */
public final class EvalCompute {
    private EvalCompute() {}

    public static Map<String, Object> fields(Evaluator.Totals t) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (t.tokens() == 0) {
            return m;
        }
        if (!t.scalarSums().isEmpty()) {
            m.put("compute", t.means());
        }
        if (!t.histograms().isEmpty()) {
            Map<String, Object> hs = new LinkedHashMap<>();
            t.histograms().forEach((name, h) -> {
                HistogramValue v = h.toValue();
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("tokens", h.count());
                s.put("mean", h.mean());
                s.put("min", v.min());
                s.put("max", v.max());
                hs.put(name, s);
            });
            m.put("histograms", hs);
        }
        Map<String, Object> widths = new TreeMap<>();
        t.scalarSums().forEach((key, sum) -> {
            if (key.startsWith("width_tokens/")) {
                String w = key.substring("width_tokens/".length());
                double tokens = sum;
                double ce = t.scalarSums().getOrDefault("width_ce/" + w, 0.0);
                Map<String, Object> row = new LinkedHashMap<>();
                if (t.scalarSums().containsKey("width_windows/" + w)) {
                    row.put("windows", Math.round(t.scalarSums().get("width_windows/" + w)));
                }
                row.put("tokens", Math.round(tokens));
                row.put("loss", tokens > 0 ? ce / tokens : Double.NaN);
                row.put("ppl", tokens > 0 ? Math.exp(ce / tokens) : Double.NaN);
                row.put("flops_per_token", tokens > 0 ? t.scalarSums().getOrDefault("width_flops/" + w, 0.0) / tokens
                        : Double.NaN);
                widths.put(w, row);
            }
        });
        if (!widths.isEmpty()) {
            m.put("widths", widths);
        }
        Double rows = t.scalarSums().get("router_rows");
        if (rows != null && rows > 0) {
            m.put("router_accuracy", t.scalarSums().getOrDefault("router_correct", 0.0) / rows);
        }
        return m;
    }
}
