package dev.ponder.prep.shard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/**
 * One shard decoded into memory: rows x window token ids, row-major. Shards are bounded in
 * size by the writer (rows per shard), so holding one at a time is cheap and makes row access
 * (the resumable cursor) trivial.
 */
public final class ShardFile {
    private final String name;
    private final int window;
    private final int rows;
    private final int[] tokens;

    private ShardFile(String name, int window, int rows, int[] tokens) {
        this.name = name;
        this.window = window;
        this.rows = rows;
        this.tokens = tokens;
    }

    /**
     * Decodes an Arrow IPC file held in {@code bytes}. {@code name} is used in errors only.
     *
     * @throws ShardFormatException when the file is truncated, not Arrow, or not a token shard
     *     with the expected window
     */
    public static ShardFile decode(String name, byte[] bytes, int expectedWindow) {
        try (BufferAllocator allocator = new RootAllocator();
                ArrowFileReader reader = new ArrowFileReader(
                        new SeekableReadChannel(new ByteArrayReadableSeekableByteChannel(bytes)), allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            ShardSchema.check(root.getSchema(), expectedWindow, name);
            int[] out = new int[0];
            int rows = 0;
            for (ArrowBlock block : reader.getRecordBlocks()) {
                if (!reader.loadRecordBatch(block)) {
                    break;
                }
                int n = root.getRowCount();
                FixedSizeListVector list = (FixedSizeListVector) root.getVector(ShardSchema.COLUMN);
                if (list.getNullCount() > 0) {
                    throw new ShardFormatException(name + ": null windows in column " + ShardSchema.COLUMN);
                }
                IntVector items = (IntVector) list.getDataVector();
                if ((long) rows * expectedWindow + (long) n * expectedWindow > Integer.MAX_VALUE - 8) {
                    throw new ShardFormatException(name + ": shard too large to hold in memory ("
                            + (rows + n) + " rows of " + expectedWindow + ")");
                }
                out = ensure(out, (rows + n) * expectedWindow);
                copyInts(items.getDataBuffer(), out, rows * expectedWindow, n * expectedWindow);
                rows += n;
            }
            return new ShardFile(name, expectedWindow, rows,
                    out.length == rows * expectedWindow ? out : java.util.Arrays.copyOf(out, rows * expectedWindow));
        } catch (ShardFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ShardFormatException(name + ": not a readable Arrow IPC file (truncated or foreign?): "
                    + e.getMessage(), e);
        }
    }

    private static int[] ensure(int[] a, int size) {
        if (a.length >= size) {
            return a;
        }
        return java.util.Arrays.copyOf(a, Math.max(size, a.length + (a.length >> 1)));
    }

    /** Bulk copy of little-endian int32 values: no per-element vector calls. */
    private static void copyInts(ArrowBuf src, int[] dst, int dstOff, int count) {
        ByteBuffer bb = src.nioBuffer(0, count * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().get(dst, dstOff, count);
    }

    public String name() {
        return name;
    }

    public int window() {
        return window;
    }

    public int rows() {
        return rows;
    }

    /** Copies row {@code row} (window ids) into {@code dst[off..off+window)}. */
    public void copyRow(int row, int[] dst, int off) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException(name + ": row " + row + " of " + rows);
        }
        System.arraycopy(tokens, row * window, dst, off, window);
    }
}
