package dev.ponder.spark.fault;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * Test-only file system {@code halt:///path} over the local disk that kills its JVM (Runtime.halt,
 * no shutdown hooks, like SIGKILL) the moment a file whose path ends with
 * {@code fs.halt.kill-before} is about to be created: a process death at an exact point of the
 * checkpoint protocol.
 */
public final class HaltingFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "halt";
    public static final String KILL_BEFORE = "fs.halt.kill-before";
    private String killBefore;

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(uri, conf);
        killBefore = conf.get(KILL_BEFORE, "");
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
            short replication, long blockSize, Progressable progress) throws IOException {
        haltIfTarget(f);
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
            Progressable progress) throws IOException {
        haltIfTarget(f);
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }

    private void haltIfTarget(Path f) {
        if (!killBefore.isEmpty() && f.toUri().getPath().endsWith(killBefore)) {
            System.err.println("halting before creating " + f);
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
