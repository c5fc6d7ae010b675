package dev.ponder.prep.shard;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Streams windows of T+1 token ids into one Arrow IPC file, in record batches of
 * {@code batchRows} rows. The caller owns the output stream's lifecycle policy (temporary
 * file, then publish); {@link #close()} finishes the file footer and closes the stream.
 */
public final class ShardWriter implements AutoCloseable {
    public static final int DEFAULT_BATCH_ROWS = 1024;

    private final int window;
    private final int batchRows;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final FixedSizeListVector list;
    private final IntVector items;
    private final ArrowFileWriter writer;
    private final int[] pending; // [batchRows, window] ids of the batch being filled
    private int rowsInBatch;
    private long rows;

    public ShardWriter(OutputStream out, int window) {
        this(out, window, DEFAULT_BATCH_ROWS);
    }

    public ShardWriter(OutputStream out, int window, int batchRows) {
        if (window < 2) {
            throw new IllegalArgumentException("window (seq_len + 1) must be >= 2, found " + window);
        }
        this.window = window;
        this.batchRows = batchRows;
        this.allocator = new RootAllocator();
        this.root = VectorSchemaRoot.create(ShardSchema.of(window), allocator);
        this.list = (FixedSizeListVector) root.getVector(ShardSchema.COLUMN);
        this.items = (IntVector) list.getDataVector();
        this.pending = new int[batchRows * window];
        this.writer = new ArrowFileWriter(root, null, Channels.newChannel(out));
        try {
            writer.start();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot start Arrow file: " + e.getMessage(), e);
        }
    }

    /** Appends one row: {@code window} ids from {@code tokens[off..off+window)}. */
    public void write(int[] tokens, int off) {
        System.arraycopy(tokens, off, pending, rowsInBatch * window, window);
        rowsInBatch++;
        rows++;
        if (rowsInBatch == batchRows) {
            flushBatch();
        }
    }

    public long rows() {
        return rows;
    }

    /**
     * Moves the pending rows into the vectors in bulk: one copy of the ids into the data buffer
     * and all-ones validity bitmaps (nothing is null), instead of a vector call per id.
     */
    private void flushBatch() {
        if (rowsInBatch == 0) {
            return;
        }
        int n = rowsInBatch * window;
        list.setInitialCapacity(rowsInBatch);
        list.allocateNew();
        ByteBuffer bytes = ByteBuffer.allocate(n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(pending, 0, n);
        items.getDataBuffer().setBytes(0, bytes);
        items.getValidityBuffer().setOne(0, (n + 7) / 8);
        list.getValidityBuffer().setOne(0, (rowsInBatch + 7) / 8);
        items.setValueCount(n);
        list.setValueCount(rowsInBatch);
        root.setRowCount(rowsInBatch);
        try {
            writer.writeBatch();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write Arrow record batch: " + e.getMessage(), e);
        }
        root.clear();
        rowsInBatch = 0;
    }

    @Override
    public void close() {
        try {
            flushBatch();
            writer.end();
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish Arrow file: " + e.getMessage(), e);
        } finally {
            root.close();
            allocator.close();
        }
    }
}
