package dev.ponder.prep.shard;

import java.util.List;

/**
 * Reads the windows of one slice of a split in a fixed order, wrapping around at the end (the
 * epoch counts the wraps). Its {@link #position()} is a {@link Cursor}; a stream started from a
 * saved cursor yields exactly the windows the original would have yielded next.
 */
public final class WindowStream {
    private final ShardDataset dataset;
    private final String split;
    private final List<ShardInfo> shards;
    private final long[] firstRow; // global index of each shard's row 0; last entry = total rows
    private final int slice;
    private final int slices;
    private long epoch;
    private long index; // global row index of the next window
    private ShardFile current;
    private int currentShard = -1;

    WindowStream(ShardDataset dataset, String split, List<ShardInfo> shards, int slice, int slices, Cursor from) {
        if (slices < 1 || slice < 0 || slice >= slices) {
            throw new IllegalArgumentException("slice must be in [0, " + slices + "), found " + slice);
        }
        this.dataset = dataset;
        this.split = split;
        this.shards = shards;
        this.slice = slice;
        this.slices = slices;
        this.firstRow = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            firstRow[i + 1] = firstRow[i] + shards.get(i).rows();
        }
        if (slice >= firstRow[shards.size()]) {
            throw new ShardFormatException(dataset.dir() + ": split '" + split + "' has " + firstRow[shards.size()]
                    + " windows, too few for " + slices + " slices");
        }
        if (from.shard() < 0 || from.shard() >= shards.size() || from.row() < 0
                || from.row() >= shards.get(from.shard()).rows()) {
            throw new IllegalArgumentException("cursor (" + from + ") is outside split '" + split + "' of "
                    + dataset.dir() + " (" + shards.size() + " shards)");
        }
        this.epoch = from.epoch();
        this.index = firstRow[from.shard()] + from.row();
        if (Math.floorMod(index, slices) != slice) {
            throw new IllegalArgumentException("cursor (" + from + ") is not in slice " + slice + " of " + slices);
        }
    }

    /** The cursor of slice {@code slice}'s first window. */
    public static Cursor startOf(ShardDataset dataset, String split, int slice) {
        long index = slice;
        List<ShardInfo> shards = dataset.manifest().shardsOf(split);
        for (int i = 0; i < shards.size(); i++) {
            if (index < shards.get(i).rows()) {
                return new Cursor(0, i, (int) index);
            }
            index -= shards.get(i).rows();
        }
        throw new ShardFormatException(dataset.dir() + ": split '" + split + "' has too few windows for slice "
                + slice);
    }

    public Cursor position() {
        int s = shardOf(index);
        return new Cursor(epoch, s, (int) (index - firstRow[s]));
    }

    /** Copies the next window into {@code dst[off..off+window)} and advances. */
    public void next(int[] dst, int off) {
        int s = shardOf(index);
        if (s != currentShard) {
            current = dataset.load(shards.get(s));
            currentShard = s;
        }
        current.copyRow((int) (index - firstRow[s]), dst, off);
        index += slices;
        if (index >= firstRow[shards.size()]) {
            index = slice;
            epoch++;
        }
    }

    /** Fills {@code dst} with {@code batch} consecutive windows of this slice: [batch, window]. */
    public int[] nextBatch(int batch, int[] dst) {
        int window = dataset.manifest().window();
        if (dst == null || dst.length != batch * window) {
            dst = new int[batch * window];
        }
        for (int b = 0; b < batch; b++) {
            next(dst, b * window);
        }
        return dst;
    }

    public String split() {
        return split;
    }

    private int shardOf(long globalRow) {
        int lo = 0;
        int hi = shards.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstRow[mid] <= globalRow) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
