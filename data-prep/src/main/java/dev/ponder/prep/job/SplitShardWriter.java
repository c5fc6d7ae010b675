package dev.ponder.prep.job;

import dev.ponder.prep.shard.ShardInfo;
import dev.ponder.prep.shard.ShardWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Cuts one split's token stream (within one partition) into windows of T+1 ids with stride T and
 * writes them to shard files of at most {@code rowsPerShard} rows. Each shard is written under
 * {@code _temporary/} and moved into {@code shards/} only once complete, so a reader never sees
 * a partial shard under its final name.
 */
final class SplitShardWriter {
    private final FileSystem fs;
    private final Path outDir;
    private final String split;
    private final int partition;
    private final long attempt;
    private final int window;
    private final int rowsPerShard;
    private final List<ShardInfo> published = new ArrayList<>();

    private int[] buf = new int[1 << 16];
    private int len; // tokens in buf
    private int pos; // start of the next window in buf
    private long docs;
    private long bytes;
    private long encoded;
    private int seq;
    private ShardWriter writer;
    private DigestOutputStream digestOut;
    private Path tmpPath;

    SplitShardWriter(FileSystem fs, Path outDir, String split, int partition, long attempt, int window, int rowsPerShard) {
        this.fs = fs;
        this.outDir = outDir;
        this.split = split;
        this.partition = partition;
        this.attempt = attempt;
        this.window = window;
        this.rowsPerShard = rowsPerShard;
    }

    void countDocument(int byteCount) {
        docs++;
        bytes += byteCount;
    }

    /** Appends one token of the split's stream, emitting every window it completes. */
    void add(int token) {
        if (len == buf.length) {
            compact();
        }
        buf[len++] = token;
        encoded++;
        if (len - pos == window) {
            emit(pos);
            pos += window - 1; // stride T: the last id of this window starts the next
        }
    }

    private void compact() {
        int keep = len - pos;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, keep);
            len = keep;
            pos = 0;
        }
        if (len == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
    }

    private void emit(int from) {
        if (writer == null) {
            open();
        }
        writer.write(buf, from);
        if (writer.rows() == rowsPerShard) {
            publish();
        }
    }

    private void open() {
        String name = String.format("%s-%05d-%03d.arrow", split, partition, seq);
        tmpPath = new Path(outDir, "_temporary/" + name + ".attempt-" + attempt);
        try {
            digestOut = new DigestOutputStream(fs.create(tmpPath, true), MessageDigest.getInstance("SHA-256"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + tmpPath + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        writer = new ShardWriter(digestOut, window);
    }

    private void publish() {
        long rows = writer.rows();
        writer.close(); // finishes the Arrow footer and closes the file
        String relative = "shards/" + String.format("%s-%05d-%03d.arrow", split, partition, seq);
        Path target = new Path(outDir, relative);
        try {
            fs.mkdirs(target.getParent());
            if (fs.exists(target)) {
                fs.delete(target, false); // left by an earlier attempt of this task
            }
            if (!fs.rename(tmpPath, target)) {
                throw new IOException("rename returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + tmpPath + " as " + target + ": " + e.getMessage(), e);
        }
        String sha = HexFormat.of().formatHex(digestOut.getMessageDigest().digest());
        published.add(new ShardInfo(relative, split, rows, rows * window, sha));
        writer = null;
        seq++;
    }

    /** Publishes the last, partial shard; returns {documents, bytes, encoded tokens, dropped tokens}. */
    long[] finish() {
        if (writer != null) {
            publish();
        }
        // Tokens after the last window's last id were never a target (partition tail).
        long dropped = published.isEmpty() ? len : len - pos - 1;
        return new long[] {docs, bytes, encoded, Math.max(0, dropped)};
    }

    List<ShardInfo> published() {
        return published;
    }
}
