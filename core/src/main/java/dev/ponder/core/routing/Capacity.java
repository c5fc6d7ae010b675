package dev.ponder.core.routing;

/**
 * Expert capacity with token dropping (Switch / GShard): each expert computes at most
 * C = ceil(factor * R * k / E) slots; the rest are dropped (not computed; their row gets no output
 * from that choice, so a token whose every choice overflows passes through the residual unchanged).
 * Priority goes to first choices over second choices, then to earlier rows (GShard's order).
 * A factor of 0 means dropless: nothing is dropped.
 */
public final class Capacity {
    private Capacity() {}

    /** Slots per expert at this factor (Integer.MAX_VALUE when dropless). */
    public static int perExpert(double factor, int rows, int k, int nExperts) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("capacity factor: expected a finite number >= 0, found " + factor);
        }
        return factor == 0 ? Integer.MAX_VALUE : (int) Math.ceil(factor * rows * k / nExperts);
    }

    /** The routing with overflow slots marked {@link Routing#DROPPED} (the same routing when nothing overflows). */
    public static Routing limit(Routing r, double factor) {
        int cap = perExpert(factor, r.rows(), r.k(), r.nExperts());
        if (cap == Integer.MAX_VALUE) {
            return r;
        }
        int[] used = new int[r.nExperts()];
        int[] experts = r.experts().clone();
        boolean dropped = false;
        for (int j = 0; j < r.k(); j++) {
            for (int row = 0; row < r.rows(); row++) {
                int s = row * r.k() + j;
                int e = experts[s];
                if (e == Routing.DROPPED) {
                    continue;
                }
                if (used[e] < cap) {
                    used[e]++;
                } else {
                    experts[s] = Routing.DROPPED;
                    dropped = true;
                }
            }
        }
        return dropped ? new Routing(r.gates(), experts, used) : r;
    }
}
