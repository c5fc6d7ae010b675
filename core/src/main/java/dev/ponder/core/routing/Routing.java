package dev.ponder.core.routing;

import dev.ponder.core.tensor.Shapes;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The contract between a router and the {@link Dispatcher}: R routing rows (tokens, or token-head
 * pairs in SwitchHead) with k slots each.
 *
 * <ul>
 *   <li>{@code gates} [R, k]: the weight that multiplies the expert output of each slot (model data
 *       type); the router's gradient flows only through these values.</li>
 *   <li>{@code experts} [R * k], row-major: the expert of each slot, or {@link #DROPPED} when the slot
 *       is not computed (capacity overflow). Chosen without gradient.</li>
 *   <li>{@code counts} [E]: routed slots per expert (dropped slots excluded).</li>
 * </ul>
 */
public record Routing(INDArray gates, int[] experts, int[] counts) {
    /** Expert id of a slot that is not computed. */
    public static final int DROPPED = -1;

    public Routing {
        if (gates.rank() != 2) {
            throw new IllegalArgumentException("routing gates: expected [R, k], found " + Arrays.toString(gates.shape()));
        }
        Shapes.requireEqual(experts.length, gates.length(), "routing experts (R * k slots)");
        int[] check = new int[counts.length];
        for (int e : experts) {
            if (e == DROPPED) {
                continue;
            }
            if (e < 0 || e >= counts.length) {
                throw new IllegalArgumentException("routing experts: expected ids in [0, " + counts.length
                        + ") or -1, found " + e);
            }
            check[e]++;
        }
        if (!Arrays.equals(check, counts)) {
            throw new IllegalArgumentException("routing counts: expected " + Arrays.toString(check) + ", found "
                    + Arrays.toString(counts));
        }
    }

    /** Builds a routing, counting the slots per expert. */
    public static Routing of(INDArray gates, int[] experts, int nExperts) {
        int[] counts = new int[nExperts];
        for (int e : experts) {
            if (e >= 0 && e < nExperts) {
                counts[e]++;
            }
        }
        return new Routing(gates, experts, counts);
    }

    public int rows() {
        return (int) gates.size(0);
    }

    /** Slots per row. */
    public int k() {
        return (int) gates.size(1);
    }

    public int slots() {
        return experts.length;
    }

    public int nExperts() {
        return counts.length;
    }

    /** Slots that are computed (R * k minus the dropped ones). */
    public int routedSlots() {
        int n = 0;
        for (int c : counts) {
            n += c;
        }
        return n;
    }

    /** Computed slots of each row, e.g. to histogram experts executed per token. */
    public int[] routedPerRow() {
        int k = k();
        int[] out = new int[rows()];
        for (int s = 0; s < experts.length; s++) {
            if (experts[s] != DROPPED) {
                out[s / k]++;
            }
        }
        return out;
    }
}
