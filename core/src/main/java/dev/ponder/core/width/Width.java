package dev.ponder.core.width;

import java.util.Locale;

/**
 * One sub-network width of SHARCS: the fraction w and the shapes the width-sliced layers run with
 * (MODELS.md section 3): round(H w) heads of unchanged head width, round(d w) residual channels
 * (the leading ones), round(d_ff w) FFN hidden units. {@code index} is the width's position in the
 * configured list (the router's output unit).
 */
public record Width(int index, double fraction, int dModel, int heads, int dFf) {

    /** The shapes of fraction {@code w} of a model (d, H, d_ff); every dimension must stay >= 1. */
    public static Width of(int index, double w, int dModel, int nHeads, int dFf) {
        if (!(w > 0 && w <= 1)) {
            throw new IllegalArgumentException("model.sharcs_widths: expected fractions in (0, 1], found " + w);
        }
        int d = (int) Math.round(dModel * w);
        int h = (int) Math.round(nHeads * w);
        int f = (int) Math.round(dFf * w);
        if (d < 1 || h < 1 || f < 1) {
            throw new IllegalArgumentException("model.sharcs_widths: width " + w + " leaves d_model " + d + ", heads "
                    + h + ", d_ff " + f + " (d_model " + dModel + ", n_heads " + nHeads + ", d_ff " + dFf
                    + "); expected each >= 1");
        }
        return new Width(index, w, d, h, f);
    }

    public boolean full() {
        return fraction == 1.0;
    }

    /** Parameter-name suffix of this width's own tensors: 0.25 -> "w0p25". */
    public String suffix() {
        return "w" + label().replace('.', 'p');
    }

    /** The fraction as written in configs and metric names: 0.25 -> "0.25", 1.0 -> "1.0". */
    public String label() {
        return label(fraction);
    }

    public static String label(double fraction) {
        String s = String.format(Locale.ROOT, "%.4f", fraction).replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }
}
