package dev.ponder.core.model;

import dev.ponder.core.tensor.Rng;
import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.core.width.WidthLabels;
import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * A SHARCS training batch planned by width: each window's key (a hash of its tokens), its router
 * labels from its history, its training width (a seeded pick among the labels, or a forced width),
 * and the windows reordered so that those of one width are contiguous (stable: a bucket keeps the
 * batch order). Arrays are in the new order; {@code order[i]} is the batch index of window i.
 */
record WidthBuckets(int[] order, long[] keys, boolean[][] labels, int[] width) {

    /**
     * Plans a [B, T + 1] batch. The pick for a window is drawn from {@code picks.split(key)
     * .split(visits)}: it depends only on the seed, the window and how often it was seen.
     */
    static WidthBuckets plan(int[] tokens, int batch, int seqLenPlusOne, int forced,
                             LongFunction<ConfidenceHistory.Entry> history, WidthLabels labeler, Rng picks) {
        long[] keys = new long[batch];
        boolean[][] labels = new boolean[batch][];
        int[] width = new int[batch];
        Integer[] order = new Integer[batch];
        for (int b = 0; b < batch; b++) {
            keys[b] = SharcsLm.windowKey(tokens, b, seqLenPlusOne);
            ConfidenceHistory.Entry e = history.apply(keys[b]);
            labels[b] = labeler.labels(e);
            width[b] = forced >= 0 ? forced
                    : WidthLabels.pick(labels[b], picks.split(keys[b]).split(e == null ? 0 : e.visits()).generator());
            order[b] = b;
        }
        Arrays.sort(order, (p, q) -> Integer.compare(width[p], width[q]));
        int[] o = new int[batch];
        long[] k = new long[batch];
        boolean[][] l = new boolean[batch][];
        int[] w = new int[batch];
        for (int i = 0; i < batch; i++) {
            o[i] = order[i];
            k[i] = keys[order[i]];
            l[i] = labels[order[i]];
            w[i] = width[order[i]];
        }
        return new WidthBuckets(o, k, l, w);
    }

    /** Rows of a [B*T] array (T per window) in the planned window order. */
    int[] reorder(int[] rows, int t) {
        int[] out = new int[rows.length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(rows, order[i] * t, out, i * t, t);
        }
        return out;
    }

    /** The end (exclusive) of the bucket that starts at window {@code s0}. */
    int bucketEnd(int s0) {
        int s1 = s0;
        while (s1 < width.length && width[s1] == width[s0]) {
            s1++;
        }
        return s1;
    }
}
