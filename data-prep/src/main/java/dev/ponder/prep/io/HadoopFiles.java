package dev.ponder.prep.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Small whole-file operations over any Hadoop file system; errors name the path. */
public final class HadoopFiles {
    private HadoopFiles() {}

    public static FileSystem fs(Path path, Configuration conf) {
        try {
            return path.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the file system of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Normalises a user-given location: a bare local path becomes file:/abs/path. */
    public static Path qualify(String location, Configuration conf) {
        Path p = new Path(location);
        if (p.toUri().getScheme() == null) {
            p = new Path(new java.io.File(location).getAbsoluteFile().toURI());
        }
        return fs(p, conf).makeQualified(p);
    }

    public static byte[] readAll(Path path, Configuration conf) {
        FileSystem fs = fs(path, conf);
        try (FSDataInputStream in = fs.open(path)) {
            return readFully(in);
        } catch (java.io.FileNotFoundException e) {
            throw new UncheckedIOException("file not found: " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public static String readString(Path path, Configuration conf) {
        return new String(readAll(path, conf), StandardCharsets.UTF_8);
    }

    static byte[] readFully(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    /**
     * Writes a small file in one go. On object stores (s3a) a single PUT is atomic, which is
     * what commit markers and manifests rely on; on HDFS/local a partial file is possible only
     * if the process dies mid-write, and readers check the content (JSON parse) anyway.
     */
    public static void writeBytes(Path path, byte[] data, Configuration conf) {
        FileSystem fs = fs(path, conf);
        try (OutputStream out = fs.create(path, true)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    public static void writeString(Path path, String text, Configuration conf) {
        writeBytes(path, text.getBytes(StandardCharsets.UTF_8), conf);
    }

    public static boolean exists(Path path, Configuration conf) {
        try {
            return fs(path, conf).exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path + ": " + e.getMessage(), e);
        }
    }

    public static URI uri(Path p) {
        return p.toUri();
    }
}
