package dev.ponder.spark.train;

import dev.ponder.core.width.ConfidenceHistory;
import dev.ponder.prep.shard.Cursor;
import java.io.Serializable;
import java.util.List;

/**
 * The broadcast of one averaging round.
 *
 * @param step optimizer steps completed before the round
 * @param localSteps steps each worker takes in this round
 * @param params averaged flat parameters
 * @param optimizerState averaged flat optimizer state
 * @param cursors data cursor of each worker (index = partition)
 * @param history per-window training state the family keeps (SHARCS's confidence history; read
 *     only on the executors), or null
 */
public record RoundInput(long step, int localSteps, float[] params, float[] optimizerState, List<Cursor> cursors,
                         ConfidenceHistory history) implements Serializable {

    /** A round of a family without per-window state. */
    public RoundInput(long step, int localSteps, float[] params, float[] optimizerState, List<Cursor> cursors) {
        this(step, localSteps, params, optimizerState, cursors, null);
    }

    /** Serialized as {@link Wire}: the two large arrays in bulk (see {@link BulkFloats}). */
    private Object writeReplace() {
        return new Wire(this);
    }

    /** The serialized form of a RoundInput. */
    private static final class Wire implements Serializable {
        private static final long serialVersionUID = 1L;
        private transient RoundInput value;

        Wire(RoundInput value) {
            this.value = value;
        }

        private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
            out.writeLong(value.step);
            out.writeInt(value.localSteps);
            out.writeObject(new java.util.ArrayList<>(value.cursors));
            BulkFloats.write(out, value.params);
            BulkFloats.write(out, value.optimizerState);
            out.writeObject(value.history == null ? null : value.history.encode());
        }

        @SuppressWarnings("unchecked")
        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
            long step = in.readLong();
            int localSteps = in.readInt();
            List<Cursor> cursors = (List<Cursor>) in.readObject();
            float[] params = BulkFloats.read(in);
            float[] state = BulkFloats.read(in);
            byte[] history = (byte[]) in.readObject();
            value = new RoundInput(step, localSteps, params, state, cursors,
                    history == null ? null : ConfidenceHistory.decode(history));
        }

        private Object readResolve() {
            return value;
        }
    }
}
