package dev.ponder.prep.shard;

import java.io.Serializable;

/**
 * Where a window stream stands: the next row to read is {@code row} of the split's shard number
 * {@code shard}, in pass {@code epoch} over the data. Stored in checkpoints so that a resumed
 * run continues exactly where it stopped.
 */
public record Cursor(long epoch, int shard, int row) implements Serializable {
    public static final Cursor START = new Cursor(0, 0, 0);

    @Override
    public String toString() {
        return "epoch " + epoch + ", shard " + shard + ", row " + row;
    }
}
