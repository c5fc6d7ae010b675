package dev.ponder.core.model;

import dev.ponder.core.width.CausalPool;
import dev.ponder.core.width.Width;
import dev.ponder.core.width.WidthLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The keys of SHARCS (family sharcs: the dense pre-LN transformer with width-sliceable layers from
 * sharcs_start_layer on and a width router before them; MODELS.md section 3):
 * <ul>
 *   <li>sharcs_widths ("0.25,0.5,1.0"): increasing fractions in (0, 1], the last 1.0.</li>
 *   <li>sharcs_start_layer (n_layers / 4, at least 1): layers before it run at full width; the router
 *       reads the output of the layer before it (the reference's adaptive_layer_idx, 3 of 12).</li>
 *   <li>sharcs_router_hidden (1024, the reference's hidden_size_router).</li>
 *   <li>sharcs_router_pool (prefix): the router's input, see {@link CausalPool}. prefix is the
 *       default because one width per window keeps one narrow key/value set per window, so compute
 *       really shrinks; per-token widths would need every earlier token's keys and values at every
 *       width a later token may pick (evaluation then runs one pass per width used). Either way no
 *       prediction sees a later token.</li>
 *   <li>sharcs_prefix_len (32, at most context_length): P, the tokens the prefix router reads; the first P positions are
 *       predicted at full width at inference (the width is not known before P tokens are seen).</li>
 *   <li>sharcs_history (3): W, the visits of a window whose confidences label it (the reference's
 *       train_router_window_size; its README example uses 3).</li>
 *   <li>sharcs_ranges ("0.7:1.0,0.4:0.9,0.0:0.5"): lo:hi per width, in the order of sharcs_widths
 *       (the reference's configs/main.yaml confidence_threshs).</li>
 *   <li>sharcs_router_loss (1.0): the router BCE's coefficient (lambda_loss_router).</li>
 * </ul>
 */
public record SharcsSettings(List<Double> widths, int startLayer, int routerHidden, CausalPool.Mode routerPool,
                             int prefixLength, int history, List<WidthLabels.Range> ranges, double routerLoss) {

    public static final List<String> KEYS = List.of("sharcs_widths", "sharcs_start_layer", "sharcs_router_hidden",
            "sharcs_router_pool", "sharcs_prefix_len", "sharcs_history", "sharcs_ranges", "sharcs_router_loss");

    public static final List<Double> DEFAULT_WIDTHS = List.of(0.25, 0.5, 1.0);
    public static final List<WidthLabels.Range> DEFAULT_RANGES = List.of(new WidthLabels.Range(0.7, 1.0),
            new WidthLabels.Range(0.4, 0.9), new WidthLabels.Range(0.0, 0.5));

    public SharcsSettings {
        widths = List.copyOf(widths);
        ranges = List.copyOf(ranges);
        if (widths.isEmpty() || widths.get(widths.size() - 1) != 1.0) {
            throw new IllegalArgumentException("model.sharcs_widths: expected increasing fractions ending in 1.0, found "
                    + widths);
        }
        for (int i = 0; i < widths.size(); i++) {
            double w = widths.get(i);
            if (!(w > 0 && w <= 1) || (i > 0 && !(w > widths.get(i - 1)))) {
                throw new IllegalArgumentException("model.sharcs_widths: expected increasing fractions in (0, 1] "
                        + "ending in 1.0, found " + widths);
            }
        }
        ConfigValues.atLeast("sharcs_start_layer", startLayer, 1);
        ConfigValues.atLeast("sharcs_router_hidden", routerHidden, 1);
        if (routerPool == null) {
            throw new IllegalArgumentException("model.sharcs_router_pool: expected prefix or token, found null");
        }
        ConfigValues.atLeast("sharcs_prefix_len", prefixLength, 1);
        ConfigValues.atLeast("sharcs_history", history, 1);
        if (ranges.size() != widths.size()) {
            throw new IllegalArgumentException("model.sharcs_ranges: expected one lo:hi range per width of "
                    + "sharcs_widths " + widths + " (" + widths.size() + "), found " + ranges.size());
        }
        for (WidthLabels.Range r : ranges) {
            if (!(r.lo() >= 0 && r.lo() < r.hi() && r.hi() <= 1)) {
                throw new IllegalArgumentException("model.sharcs_ranges: expected ranges lo:hi with 0 <= lo < hi <= 1, "
                        + "found " + r.lo() + ":" + r.hi());
            }
        }
        ConfigValues.nonNegative("sharcs_router_loss", routerLoss);
    }

    /** The reference's defaults for a model of {@code nLayers} layers and the given context length. */
    public static SharcsSettings defaults(int nLayers, int contextLength) {
        return new SharcsSettings(DEFAULT_WIDTHS, Math.max(1, nLayers / 4), 1024, CausalPool.Mode.PREFIX,
                Math.max(1, Math.min(32, contextLength)), 3, DEFAULT_RANGES, 1.0);
    }

    /** The widths with their layer shapes for a model of width d, H heads and FFN width d_ff. */
    public List<Width> shapes(int dModel, int nHeads, int dFf) {
        List<Width> out = new ArrayList<>();
        for (int i = 0; i < widths.size(); i++) {
            Width w = Width.of(i, widths.get(i), dModel, nHeads, dFf);
            if (i > 0 && w.heads() == out.get(i - 1).heads() && w.dModel() == out.get(i - 1).dModel()
                    && w.dFf() == out.get(i - 1).dFf()) {
                throw new IllegalArgumentException("model.sharcs_widths: widths " + widths.get(i - 1) + " and "
                        + widths.get(i) + " give the same shapes (d_model " + w.dModel() + ", heads " + w.heads()
                        + ", d_ff " + w.dFf() + "); expected distinct sub-networks");
            }
            out.add(w);
        }
        return out;
    }

    public WidthLabels labels() {
        return new WidthLabels(ranges, history);
    }

    /** Checks against the shared keys. */
    void validateWith(int nLayers, int dModel, int nHeads, int dFf, int contextLength) {
        if (startLayer > nLayers) {
            throw new IllegalArgumentException("model.sharcs_start_layer: expected an integer in [1, n_layers = "
                    + nLayers + "], found " + startLayer);
        }
        if (prefixLength > contextLength) {
            throw new IllegalArgumentException("model.sharcs_prefix_len: expected an integer in [1, context_length = "
                    + contextLength + "], found " + prefixLength);
        }
        shapes(dModel, nHeads, dFf);
    }

    static SharcsSettings fromMap(Map<String, ?> m, int nLayers, int contextLength) {
        SharcsSettings d = defaults(nLayers, contextLength);
        List<Double> widths = m.containsKey("sharcs_widths") ? parseWidths(ConfigValues.string(m, "sharcs_widths"))
                : d.widths;
        return new SharcsSettings(widths,
                ConfigValues.integer(m, "sharcs_start_layer", d.startLayer),
                ConfigValues.integer(m, "sharcs_router_hidden", d.routerHidden),
                m.containsKey("sharcs_router_pool") ? CausalPool.Mode.parse(ConfigValues.string(m, "sharcs_router_pool"))
                        : d.routerPool,
                ConfigValues.integer(m, "sharcs_prefix_len", d.prefixLength),
                ConfigValues.integer(m, "sharcs_history", d.history),
                m.containsKey("sharcs_ranges") ? parseRanges(ConfigValues.string(m, "sharcs_ranges")) : d.ranges,
                ConfigValues.real(m, "sharcs_router_loss", d.routerLoss));
    }

    void putInto(Map<String, Object> m) {
        m.put("sharcs_widths", String.join(",", widths.stream().map(Width::label).toList()));
        m.put("sharcs_start_layer", startLayer);
        m.put("sharcs_router_hidden", routerHidden);
        m.put("sharcs_router_pool", routerPool.name().toLowerCase(Locale.ROOT));
        m.put("sharcs_prefix_len", prefixLength);
        m.put("sharcs_history", history);
        m.put("sharcs_ranges", String.join(",", ranges.stream()
                .map(r -> Width.label(r.lo()) + ":" + Width.label(r.hi())).toList()));
        m.put("sharcs_router_loss", routerLoss);
    }

    /** "0.25,0.5,1.0" -> [0.25, 0.5, 1.0]. */
    static List<Double> parseWidths(String s) {
        List<Double> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                out.add(Double.parseDouble(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("model.sharcs_widths: expected comma-separated fractions such as "
                        + "'0.25,0.5,1.0', found '" + s + "'");
            }
        }
        return out;
    }

    /** "0.7:1.0,0.4:0.9,0.0:0.5" -> ranges [lo, hi). */
    static List<WidthLabels.Range> parseRanges(String s) {
        List<WidthLabels.Range> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String[] lh = part.trim().split(":");
            try {
                if (lh.length != 2) {
                    throw new NumberFormatException();
                }
                out.add(new WidthLabels.Range(Double.parseDouble(lh[0].trim()), Double.parseDouble(lh[1].trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("model.sharcs_ranges: expected comma-separated lo:hi ranges such as "
                        + "'0.7:1.0,0.4:0.9,0.0:0.5', found '" + s + "'");
            }
        }
        return out;
    }
}
