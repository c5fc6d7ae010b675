package dev.ponder.core.routing;

/**
 * Stable counting sort of items by a small integer key (expert id, or the row an item reads from
 * or writes to). O(n + keys), no comparisons: the first step of every dispatch.
 */
public final class SlotSort {
    private SlotSort() {}

    /**
     * {@code order} lists the items with key >= 0 grouped by key (ascending, stable within a key);
     * the items of key j are {@code order[offsets[j] .. offsets[j + 1])}. Items with a negative key
     * are left out.
     */
    public record Sorted(int[] order, int[] offsets) {
        public int count(int key) {
            return offsets[key + 1] - offsets[key];
        }
    }

    /** Sorts the indices 0..keys.length-1 by {@code keys[i]} in [0, nKeys) (negative: dropped). */
    public static Sorted byKey(int[] keys, int nKeys) {
        int[] offsets = new int[nKeys + 1];
        for (int k : keys) {
            if (k >= nKeys) {
                throw new IllegalArgumentException("slot sort: expected keys < " + nKeys + ", found " + k);
            }
            if (k >= 0) {
                offsets[k + 1]++;
            }
        }
        for (int j = 0; j < nKeys; j++) {
            offsets[j + 1] += offsets[j];
        }
        int[] next = offsets.clone();
        int[] order = new int[offsets[nKeys]];
        for (int i = 0; i < keys.length; i++) {
            int k = keys[i];
            if (k >= 0) {
                order[next[k]++] = i;
            }
        }
        return new Sorted(order, offsets);
    }
}
