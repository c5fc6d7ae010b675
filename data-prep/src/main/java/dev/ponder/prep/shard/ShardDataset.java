package dev.ponder.prep.shard;

import dev.ponder.prep.io.HadoopFiles;
import dev.ponder.prep.io.SerializableHadoopConf;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A prepared dataset (a directory with manifest.json) opened for reading. Small and
 * serializable, so Spark closures can capture it; shard bytes are read on the executor.
 */
public final class ShardDataset implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String dir;
    private final Manifest manifest;
    private final SerializableHadoopConf conf;

    private ShardDataset(String dir, Manifest manifest, SerializableHadoopConf conf) {
        this.dir = dir;
        this.manifest = manifest;
        this.conf = conf;
    }

    /** Opens {@code location} (any Hadoop URI or a local path); fails naming the directory. */
    public static ShardDataset open(String location, Configuration conf) {
        Path path = HadoopFiles.qualify(location, conf);
        return new ShardDataset(path.toString(), Manifest.read(path, conf), new SerializableHadoopConf(conf));
    }

    public Manifest manifest() {
        return manifest;
    }

    public String dir() {
        return dir;
    }

    public long rows(String split) {
        long n = 0;
        for (ShardInfo s : manifest.shardsOf(split)) {
            n += s.rows();
        }
        return n;
    }

    /**
     * A stream over rows {@code slice, slice + slices, slice + 2 slices, ...} of the split (an
     * interleaved, deterministic assignment), starting at {@code from} — use
     * {@link WindowStream#startOf} for a fresh start.
     */
    public WindowStream stream(String split, int slice, int slices, Cursor from) {
        List<ShardInfo> shards = manifest.shardsOf(split);
        if (shards.isEmpty()) {
            throw new ShardFormatException(dir + ": split '" + split + "' has no shards (expected at least one; "
                    + "the corpus may be too small for seq_len " + manifest.seqLen() + ")");
        }
        return new WindowStream(this, split, shards, slice, slices, from);
    }

    /** Reads, verifies (digest, row count) and decodes one shard. */
    ShardFile load(ShardInfo info) {
        Path path = new Path(new Path(dir), info.path());
        byte[] bytes;
        try {
            bytes = HadoopFiles.readAll(path, conf.get());
        } catch (RuntimeException e) {
            throw new ShardFormatException("missing or unreadable shard " + path + " listed in " + dir + "/"
                    + Manifest.FILE + ": " + e.getMessage(), e);
        }
        String digest = sha256(bytes);
        if (!digest.equals(info.sha256())) {
            throw new ShardFormatException(path + ": sha256 expected " + info.sha256() + " (manifest), found "
                    + digest + " (file is corrupt or was replaced)");
        }
        ShardFile file = ShardFile.decode(path.toString(), bytes, manifest.window());
        if (file.rows() != info.rows()) {
            throw new ShardFormatException(path + ": rows expected " + info.rows() + ", found " + file.rows());
        }
        return file;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
