package dev.ponder.core.routing;

import dev.ponder.core.metrics.PhaseTimer;
import java.util.function.IntUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The index bookkeeping of one dispatch, computed once on the host and shared by forward and
 * backward (and by both layers of an expert MLP):
 * <ul>
 *   <li>{@code byExpert}: the routed slots sorted by expert (counting sort). Position p of the
 *       sorted order is a row of the gathered matrices; expert e owns the contiguous rows
 *       {@code offsets[e] .. offsets[e + 1])}, so each expert is one matmul.</li>
 *   <li>{@code inRow[p]} / {@code outRow[p]}: the input row that position p reads and the output row
 *       it adds to. The caller chooses the maps, so a dispatch can read from or write to a permuted
 *       layout (SwitchHead reads attention output [B, H, T, dh] rows directly).</li>
 *   <li>{@code inGroups} / {@code outGroups}: the positions grouped by input row and by output row
 *       (CSR). Combining is then a deterministic gather-sum per row: no scatter, no locks.</li>
 *   <li>{@code gates[p]} and {@code gateColumn} [S', 1]: the gate of each position.</li>
 * </ul>
 */
public record DispatchPlan(Routing routing, SlotSort.Sorted byExpert, int[] inRow, int[] outRow, int inRows,
                           int outRows, SlotSort.Sorted inGroups, SlotSort.Sorted outGroups, double[] gates,
                           INDArray gateColumn) {

    /**
     * A plan where slot s (row-major over the routing's [R, k]) reads input row
     * {@code inRowOfSlot(s)} of {@code inRows} and adds to output row {@code outRowOfSlot(s)}.
     */
    public static DispatchPlan of(Routing r, IntUnaryOperator inRowOfSlot, int inRows,
                                  IntUnaryOperator outRowOfSlot, int outRows) {
        long t = PhaseTimer.start();
        SlotSort.Sorted byExpert = SlotSort.byKey(r.experts(), r.nExperts());
        int[] order = byExpert.order();
        int n = order.length;
        double[] allGates = HostArrays.read(r.gates());
        int[] in = new int[n];
        int[] out = new int[n];
        double[] g = new double[n];
        for (int p = 0; p < n; p++) {
            int s = order[p];
            in[p] = checkRow(inRowOfSlot.applyAsInt(s), inRows, "input");
            out[p] = checkRow(outRowOfSlot.applyAsInt(s), outRows, "output");
            g[p] = allGates[s];
        }
        DataType dt = r.gates().dataType();
        INDArray column = n == 0 ? null : HostArrays.create(g, dt, n, 1);
        DispatchPlan plan = new DispatchPlan(r, byExpert, in, out, inRows, outRows, SlotSort.byKey(in, inRows),
                SlotSort.byKey(out, outRows), g, column);
        PhaseTimer.stop("sort", t);
        return plan;
    }

    /**
     * The common case: the R*k slots read input rows and write output rows in order, with
     * {@code slots / inRows} consecutive slots per input row and {@code slots / outRows} per
     * output row (a σ-MoE: both k; SwitchHead values: H*k per token in, k per head out).
     */
    public static DispatchPlan contiguous(Routing r, int inRows, int outRows) {
        int slots = r.slots();
        if (slots % inRows != 0 || slots % outRows != 0) {
            throw new IllegalArgumentException("dispatch: expected R*k = " + slots
                    + " slots to divide evenly into " + inRows + " input and " + outRows + " output rows");
        }
        int perIn = slots / inRows;
        int perOut = slots / outRows;
        return of(r, s -> s / perIn, inRows, s -> s / perOut, outRows);
    }

    /** Routed positions (rows of the gathered matrices). */
    public int size() {
        return inRow.length;
    }

    /** Row offsets of the experts in the sorted order, [E + 1]. */
    public int[] offsets() {
        return byExpert.offsets();
    }

    public int nExperts() {
        return routing.nExperts();
    }

    /** The routing slot (row-major over [R, k]) at each sorted position. */
    public int[] slotOrder() {
        return byExpert.order();
    }

    /** Scatters per-position values back to the routing's [R, k] layout (dropped slots get 0). */
    public INDArray toSlotLayout(double[] perPosition) {
        double[] flat = new double[routing.slots()];
        int[] order = slotOrder();
        for (int p = 0; p < order.length; p++) {
            flat[order[p]] = perPosition[p];
        }
        return HostArrays.create(flat, routing.gates().dataType(), routing.rows(), routing.k());
    }

    private static int checkRow(int row, int rows, String what) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("dispatch " + what + " row: expected [0, " + rows + "), found " + row);
        }
        return row;
    }
}
