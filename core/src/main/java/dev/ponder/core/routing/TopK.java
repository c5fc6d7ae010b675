package dev.ponder.core.routing;

/**
 * Top-k selection on the host: the k largest of {@code n} values starting at {@code from}, by partial
 * insertion (O(n) comparisons when k is much smaller than n, which is every router here). Ties go to
 * the lower index; -infinity entries (masked experts) are never chosen.
 */
final class TopK {
    private TopK() {}

    /**
     * Writes the chosen local indices (0..n-1) into {@code idx[outFrom .. outFrom + k)} in descending
     * order of value; slots left when fewer than k entries are finite get -1. Returns the count chosen.
     */
    static int select(double[] v, int from, int n, int k, int[] idx, int outFrom) {
        double[] best = new double[k];
        int found = 0;
        for (int i = 0; i < n; i++) {
            double x = v[from + i];
            if (x == Double.NEGATIVE_INFINITY || (found == k && !(x > best[k - 1]))) {
                continue;
            }
            int pos = found < k ? found++ : k - 1;
            while (pos > 0 && x > best[pos - 1]) {
                best[pos] = best[pos - 1];
                idx[outFrom + pos] = idx[outFrom + pos - 1];
                pos--;
            }
            best[pos] = x;
            idx[outFrom + pos] = i;
        }
        for (int j = found; j < k; j++) {
            idx[outFrom + j] = -1;
        }
        return found;
    }
}
