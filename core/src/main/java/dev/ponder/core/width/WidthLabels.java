package dev.ponder.core.width;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The router's multi-hot labels (MODELS.md section 3, the reference's save_and_update_train_history):
 * once a window has {@code window} visits, it belongs to width j when the min and the max of its
 * last {@code window} confidences both fall in [lo_j, hi_j); no match means full width. Before
 * that, only full width (the last configured width, 1.0) trains. The training width of a window is
 * a uniform pick among its labels.
 */
public final class WidthLabels {
    /** A confidence range [lo, hi). */
    public record Range(double lo, double hi) {}

    private final List<Range> ranges;
    private final int window;
    private final int full;

    /** {@code ranges} aligned with the widths (the last width is full width). */
    public WidthLabels(List<Range> ranges, int window) {
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("model.sharcs_ranges: expected one range per width, found none");
        }
        this.ranges = List.copyOf(ranges);
        this.window = window;
        this.full = ranges.size() - 1;
    }

    public int widths() {
        return ranges.size();
    }

    /** Labels of a window with history {@code e} (null: never visited). */
    public boolean[] labels(ConfidenceHistory.Entry e) {
        if (e == null || e.visits() < window) {
            return fullOnly();
        }
        return byRange(e.min(), e.max());
    }

    /**
     * Labels from a single confidence (min = max = c): the evaluation's reference labels for the
     * router's accuracy on windows that have no training history.
     */
    public boolean[] labelsOf(double confidence) {
        return byRange(confidence, confidence);
    }

    private boolean[] byRange(double min, double max) {
        boolean[] y = new boolean[ranges.size()];
        boolean any = false;
        for (int j = 0; j < y.length; j++) {
            y[j] = min >= ranges.get(j).lo() && max < ranges.get(j).hi();
            any |= y[j];
        }
        if (!any) {
            y[full] = true;
        }
        return y;
    }

    private boolean[] fullOnly() {
        boolean[] y = new boolean[ranges.size()];
        y[full] = true;
        return y;
    }

    /** A uniform pick among the set labels. */
    public static int pick(boolean[] labels, SplittableRandom rnd) {
        int n = 0;
        for (boolean b : labels) {
            n += b ? 1 : 0;
        }
        int k = n <= 1 ? 0 : rnd.nextInt(n);
        for (int j = 0; j < labels.length; j++) {
            if (labels[j] && k-- == 0) {
                return j;
            }
        }
        throw new IllegalArgumentException("width labels: expected at least one set label, found none");
    }
}
