package dev.ponder.prep.shard;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
        this.writer = new ArrowFileWriter(root, null, Channels.newChannel(out));
        try {
            writer.start();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot start Arrow file: " + e.getMessage(), e);
        }
        resetBatch();
    }

    /** Appends one row: {@code window} ids from {@code tokens[off..off+window)}. */
    public void write(int[] tokens, int off) {
        int base = rowsInBatch * window;
        list.setNotNull(rowsInBatch);
        for (int j = 0; j < window; j++) {
            items.set(base + j, tokens[off + j]);
        }
        rowsInBatch++;
        rows++;
        if (rowsInBatch == batchRows) {
            flushBatch();
        }
    }

    public long rows() {
        return rows;
    }

    private void resetBatch() {
        list.setInitialCapacity(batchRows);
        list.allocateNew();
        rowsInBatch = 0;
    }

    private void flushBatch() {
        if (rowsInBatch == 0) {
            return;
        }
        items.setValueCount(rowsInBatch * window);
        list.setValueCount(rowsInBatch);
        root.setRowCount(rowsInBatch);
        try {
            writer.writeBatch();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write Arrow record batch: " + e.getMessage(), e);
        }
        root.clear();
        resetBatch();
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
