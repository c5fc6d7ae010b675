package dev.ponder.spark.report;

import dev.ponder.prep.io.HadoopFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Whole-file writes for files other programs read (event files, the HTML report). On local disk
 * Hadoop's checksummed file system would add a hidden {@code .NAME.crc} next to each file, and
 * TensorBoard treats any file with "tfevents" in its name as an event file: so local writes go
 * through the raw file system. Other file systems (HDFS, s3a) are used as they are.
 */
final class ReportFiles {
    private ReportFiles() {}

    static void write(Path path, byte[] data, Configuration conf) {
        FileSystem fs = HadoopFiles.fs(path, conf);
        if (fs instanceof ChecksumFileSystem checksummed) {
            fs = checksummed.getRawFileSystem();
        }
        try (OutputStream out = fs.create(path, true)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }
}
